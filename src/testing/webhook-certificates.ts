/**
 * A certificate authority and a serving certificate made on the fly, for webhooks served on this
 * machine to a local API server (TestKit, `tsoperator dev`). node:crypto parses X.509 but cannot
 * issue certificates, and a pure-JS issuer would be a new dependency: the `openssl` command does
 * it in ~20 ms per certificate and is on every machine that builds Kubernetes. Keys are P-256.
 *
 * The files are written where `WebhookServer` reads them (`tls.crt`, `tls.key`); `caBundle` is
 * what a webhook configuration's `clientConfig.caBundle` takes. `rotate()` issues a new serving
 * certificate from the same CA (what cert-manager does at renewal), replacing the files in place.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        "webhook certificates: the openssl command is not installed; install it (apt-get install openssl) to serve webhooks locally",
      );
    }
    throw new Error(`webhook certificates: openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** A CA and a serving certificate in a directory, for a webhook server on loopback. */
export class WebhookCertificates {
  private constructor(
    /** The directory holding `tls.crt`, `tls.key` (and the CA's files). */
    readonly dir: string,
    /** The CA certificate (PEM). */
    readonly caCert: string,
    private readonly hosts: readonly string[],
  ) {}

  /** `clientConfig.caBundle`: the CA certificate, base64. */
  get caBundle(): string {
    return Buffer.from(this.caCert).toString("base64");
  }

  /** Issues a CA and a serving certificate for `hosts` (IP addresses or DNS names) into a new temporary directory. */
  static async create(hosts: readonly string[] = ["127.0.0.1", "localhost"]): Promise<WebhookCertificates> {
    const dir = await mkdtemp(join(tmpdir(), "tsoperator-webhook-certs-"));
    await openssl(
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "7",
        "-subj",
        "/CN=tsoperator-webhook-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      dir,
    );
    const certs = new WebhookCertificates(dir, await readFile(join(dir, "ca.crt"), "utf8"), hosts);
    await certs.rotate();
    return certs;
  }

  /** Issues a new serving key and certificate from the same CA and replaces `tls.key` and `tls.crt`. */
  async rotate(): Promise<void> {
    const san = this.hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
    await writeFile(
      join(this.dir, "ext.cnf"),
      `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
    await openssl(
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "next.key",
        "-out",
        "next.csr",
        "-subj",
        "/CN=tsoperator-webhook",
      ],
      this.dir,
    );
    await openssl(
      [
        "x509",
        "-req",
        "-in",
        "next.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        `0x${randomBytes(8).toString("hex")}`,
        "-days",
        "7",
        "-out",
        "next.crt",
        "-extfile",
        "ext.cnf",
      ],
      this.dir,
    );
    // Certificate first: a watcher that reads the new certificate with the old key keeps the old pair until the key follows.
    await rename(join(this.dir, "next.crt"), join(this.dir, "tls.crt"));
    await rename(join(this.dir, "next.key"), join(this.dir, "tls.key"));
  }

  /** The serving certificate in use on disk (PEM). */
  servingCertificate(): Promise<string> {
    return readFile(join(this.dir, "tls.crt"), "utf8");
  }

  /** Removes the directory. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
