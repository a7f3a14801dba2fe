/**
 * The serving certificate and key of the webhook server, read from files and re-read when they
 * change (controller-runtime's certwatcher). cert-manager renews a certificate by rewriting the
 * mounted Secret (an atomic symlink swap in the volume), so the watcher polls the files' content
 * instead of trusting file events, which a symlink swap does not always raise. A pair that does
 * not load (the key written before the certificate) is ignored until the next poll.
 */
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { X509Certificate } from "node:crypto";
import type { Logger } from "../observability/logger.js";

/** A certificate chain and its private key (PEM). */
export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Options of {@link CertificateWatcher}. */
export interface CertificateWatcherOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** How often the files are read again (ms). Default 2000. */
  readonly intervalMs?: number;
  readonly logger?: Logger;
  /** Called with each new pair that loads (after the first). */
  readonly onChange?: (pair: KeyPair) => void;
}

/** Reads a pair and checks that it loads (a TLS context can be made of it). */
export function loadKeyPair(certFile: string, keyFile: string): KeyPair {
  let pair: KeyPair;
  try {
    pair = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (error) {
    throw new Error(
      `webhook server: cannot read its certificate (${certFile}) and key (${keyFile}): ${(error as Error).message}; ` +
        "mount the cert-manager Secret there (see docs/webhooks.md) or set webhookServer.certDir",
    );
  }
  createSecureContext(pair); // throws "key values mismatch" and the like
  return pair;
}

/** Polls a certificate and key pair; `current` is always a pair that loads. */
export class CertificateWatcher {
  private pair: KeyPair;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  /** How many times a changed pair was picked up. */
  reloads = 0;

  constructor(private readonly options: CertificateWatcherOptions) {
    this.pair = loadKeyPair(options.certFile, options.keyFile);
  }

  /** The pair in use. */
  get current(): KeyPair {
    return this.pair;
  }

  /** When the certificate in use expires. */
  get notAfter(): Date {
    return new Date(new X509Certificate(this.pair.cert).validTo);
  }

  /** Starts polling. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** Stops polling. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the files once; adopts them when they changed and load. */
  async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const [cert, key] = await Promise.all([readFile(this.options.certFile), readFile(this.options.keyFile)]);
      if (cert.equals(this.pair.cert) && key.equals(this.pair.key)) return;
      try {
        createSecureContext({ cert, key });
      } catch (error) {
        this.options.logger?.warn("webhook certificate changed but does not load yet; keeping the previous one", {
          err: error,
          certFile: this.options.certFile,
        });
        return;
      }
      this.pair = { cert, key };
      this.reloads += 1;
      this.options.logger?.info("webhook certificate reloaded", { certFile: this.options.certFile, notAfter: this.notAfter.toISOString() });
      this.options.onChange?.(this.pair);
    } catch (error) {
      this.options.logger?.warn("webhook certificate files cannot be read; keeping the previous pair", { err: error });
    } finally {
      this.reading = false;
    }
  }
}
