/**
 * The HTTPS server of a process's webhooks (node:https, no framework): one POST path per admission
 * webhook, `/convert` for every conversion. It owns the request path only: bodies in, reviews out,
 * each request counted in `controller_runtime_webhook_*` and every handler failure logged with its
 * stack. The certificate comes from files and is swapped in place when they change, without a
 * restart and without dropping connections. Guarantees: every well-formed review gets an answer
 * (a handler failure is a denial naming the webhook, never a 500 without a review).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { KubeObject } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { CustomDefaulter, CustomValidator } from "./admission.js";
import { BadReviewError, reviewAdmission } from "./admission-review.js";
import { CertificateWatcher } from "./certificate-watcher.js";
import { reviewConversion, type ConversionOutcome } from "./conversion-review.js";
import { CONVERSION_PATH, type AdmissionWebhookSpec, type ConversionOptions, type ResolvedWebhook } from "./definitions.js";

/** Where the webhook server listens and finds its certificate (controller-runtime's defaults). */
export interface WebhookServerOptions {
  /** Default 9443. 0 picks a free port. */
  port?: number;
  /** Default: all interfaces (the API server reaches the pod IP through the Service). */
  host?: string;
  /** Directory of the serving certificate. Default `/tmp/k8s-webhook-server/serving-certs`. */
  certDir?: string;
  /** Default `tls.crt` (the key of a cert-manager Secret). */
  certName?: string;
  /** Default `tls.key`. */
  keyName?: string;
  /** How often the certificate files are read again (ms). Default 2000. */
  certReloadIntervalMs?: number;
}

/** Default directory of the serving certificate. */
export const DEFAULT_CERT_DIR = "/tmp/k8s-webhook-server/serving-certs";
/** Default port of the webhook server. */
export const DEFAULT_WEBHOOK_PORT = 9443;
/** The largest review body accepted (the API server's request limit is 3 MiB; a list conversion may be larger). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Serves admission and conversion reviews over HTTPS. */
export class WebhookServer {
  private server?: Server;
  private readonly admission = new Map<
    string,
    { spec: AdmissionWebhookSpec; handler: CustomValidator<KubeObject> | CustomDefaulter<KubeObject> }
  >();
  private readonly conversions = new Map<string, ConversionOptions>();
  private readonly certs: CertificateWatcher;
  private boundPort?: number;
  private readonly reportedConversions = new Set<string>();

  constructor(
    webhooks: readonly ResolvedWebhook[],
    private readonly options: WebhookServerOptions & { logger?: Logger; metrics?: Metrics } = {},
  ) {
    for (const { spec, handler } of webhooks) {
      if (spec.kind === "conversion") this.conversions.set(`${spec.type.group}/${spec.type.kind}`, handler as ConversionOptions);
      else this.admission.set(spec.path, { spec, handler: handler as CustomValidator<KubeObject> });
    }
    const dir = options.certDir ?? DEFAULT_CERT_DIR;
    this.certs = new CertificateWatcher({
      certFile: join(dir, options.certName ?? "tls.crt"),
      keyFile: join(dir, options.keyName ?? "tls.key"),
      ...(options.certReloadIntervalMs !== undefined ? { intervalMs: options.certReloadIntervalMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      onChange: (pair) => this.server?.setSecureContext({ cert: pair.cert, key: pair.key }),
    });
  }

  /** The bound port once started. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** How many times a changed certificate was picked up. */
  get certificateReloads(): number {
    return this.certs.reloads;
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.server) throw new Error("WebhookServer is already started");
    const { cert, key } = this.certs.current;
    const server = createServer({ cert, key, minVersion: "TLSv1.2" }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.options.logger?.error("webhook request failed", { err, path: req.url });
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? DEFAULT_WEBHOOK_PORT, this.options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.certs.start();
    this.options.logger?.info("webhook server listening", {
      port: this.boundPort,
      paths: [...this.admission.keys(), ...(this.conversions.size > 0 ? [CONVERSION_PATH] : [])].join(","),
    });
    return this.boundPort;
  }

  /** Stops listening and closes every connection. Safe to call when not started. */
  async stop(): Promise<void> {
    this.certs.stop();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Ready while listening with a certificate that has not expired. */
  readiness(): { ok: boolean; detail: string } {
    if (!this.server) return { ok: false, detail: "not listening" };
    const notAfter = this.certs.notAfter;
    if (notAfter.getTime() < Date.now()) return { ok: false, detail: `serving certificate expired at ${notAfter.toISOString()}` };
    return { ok: true, detail: `listening on ${this.boundPort}, certificate valid until ${notAfter.toISOString()}` };
  }

  /**
   * A failed conversion is logged at error when a conversion function threw; an unknown version
   * (a client asked for a version nothing converts) once per kind and version, as controllers
   * that watch every served version ask again every second.
   */
  private logConversionFailure(outcome: ConversionOutcome, body: unknown): void {
    const result = outcome.review.response.result;
    const reason = result.status === "Failure" ? result.message : "";
    if (outcome.code === 500) {
      this.options.logger?.error("conversion failed", { err: outcome.error, reason });
      return;
    }
    const request = (body as { request?: { desiredAPIVersion?: string; objects?: Array<{ kind?: string; apiVersion?: string }> } }).request;
    const key = `${request?.objects?.[0]?.kind} ${request?.objects?.[0]?.apiVersion} -> ${request?.desiredAPIVersion}`;
    if (this.reportedConversions.has(key)) return;
    this.reportedConversions.add(key);
    this.options.logger?.warn("conversion refused (logged once per kind and versions)", { reason });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "https://localhost").pathname;
    const admission = this.admission.get(path);
    const isConversion = path === CONVERSION_PATH && this.conversions.size > 0;
    if (!admission && !isConversion) return send(res, 404, { message: `no webhook is served on ${path}` });
    if (req.method !== "POST") return send(res, 405, { message: "webhooks answer POST only" });
    const done = this.options.metrics?.webhookRequestStarted(path);
    let code = 400;
    try {
      const body = JSON.parse((await readBody(req)).toString("utf8")) as unknown;
      if (admission) {
        const outcome = await reviewAdmission(body, admission.spec, admission.handler);
        code = outcome.code;
        if (outcome.error !== undefined) {
          this.options.logger?.error("admission webhook handler failed; the request is denied", {
            err: outcome.error,
            webhook: admission.spec.name,
            uid: outcome.review.response.uid,
          });
        }
        return send(res, 200, outcome.review);
      }
      const outcome = reviewConversion(body, this.conversions);
      code = outcome.code;
      if (outcome.code !== 200) this.logConversionFailure(outcome, body);
      return send(res, 200, outcome.review);
    } catch (error) {
      if (error instanceof BadReviewError || error instanceof SyntaxError) return send(res, 400, { message: (error as Error).message });
      code = 500;
      throw error;
    } finally {
      done?.(code);
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadReviewError(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
