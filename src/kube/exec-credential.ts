/**
 * Exec credential plugins (`users[].user.exec`, client.authentication.k8s.io/v1 and v1beta1):
 * runs the plugin, reads its `ExecCredential`, and caches the credential the way client-go's
 * `plugin/pkg/client/auth/exec` does:
 * - a credential with `expirationTimestamp` is reused until that instant, then the plugin runs again;
 * - one without it is reused until the server answers 401 (`forget()`), never re-run on a timer;
 * - concurrent callers share one run of the plugin.
 * The plugin gets `KUBERNETES_EXEC_INFO` (`spec.interactive: false`, and `spec.cluster` when the
 * kubeconfig sets `provideClusterInfo`), stdin closed (a long-running operator has no terminal:
 * `interactiveMode: Always` is refused, as client-go refuses it without one).
 */
import { execFile } from "node:child_process";
import type { KubeconfigCluster, KubeconfigExec } from "./kubeconfig-file.js";

/** What a plugin answered: a bearer token and/or a client certificate, and until when. */
export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Absent: valid until the server refuses it. */
  expirationTimestamp?: Date;
}

const SUPPORTED_API_VERSIONS = new Set(["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]);

/** Parses a plugin's stdout; throws when it is not an ExecCredential of the configured apiVersion. */
export function parseExecCredential(stdout: string, apiVersion: string): ExecCredentialStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`exec plugin: output is not JSON: ${stdout.slice(0, 200)}`);
  }
  const { apiVersion: gotVersion, kind, status } = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown; status?: unknown };
  if (kind !== "ExecCredential") throw new Error(`exec plugin: expected kind ExecCredential, got ${JSON.stringify(kind)}`);
  if (gotVersion !== apiVersion) {
    throw new Error(`exec plugin: output apiVersion ${JSON.stringify(gotVersion)} does not match the configured ${apiVersion}`);
  }
  if (!status || typeof status !== "object") throw new Error("exec plugin: no status in its ExecCredential");
  const s = status as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const v = s[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new Error(`exec plugin: status.${key} must be a string`);
    return v;
  };
  const out: ExecCredentialStatus = {};
  const token = text("token");
  const cert = text("clientCertificateData");
  const key = text("clientKeyData");
  if (token !== undefined) out.token = token;
  // client-go: a certificate needs its key and the other way round.
  if ((cert === undefined) !== (key === undefined)) throw new Error("exec plugin: clientCertificateData and clientKeyData come together");
  if (cert !== undefined && key !== undefined) {
    out.clientCertificateData = cert;
    out.clientKeyData = key;
  }
  if (out.token === undefined && out.clientCertificateData === undefined) {
    throw new Error("exec plugin: status has neither a token nor a client certificate");
  }
  const expiry = text("expirationTimestamp");
  if (expiry !== undefined) {
    const at = new Date(expiry);
    if (Number.isNaN(at.getTime())) throw new Error(`exec plugin: invalid expirationTimestamp ${JSON.stringify(expiry)}`);
    out.expirationTimestamp = at;
  }
  return out;
}

/** client-go's `isValid`: no expiry = valid until a 401; else valid strictly before the expiry. */
export function isCredentialFresh(credential: ExecCredentialStatus | undefined, nowMs: number): boolean {
  if (!credential) return false;
  if (!credential.expirationTimestamp) return true;
  return nowMs < credential.expirationTimestamp.getTime();
}

/** The `KUBERNETES_EXEC_INFO` a plugin receives. */
export function execInfo(exec: KubeconfigExec, cluster: KubeconfigCluster, caData?: string): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo) {
    spec.cluster = {
      server: cluster.server,
      ...(cluster.tlsServerName ? { "tls-server-name": cluster.tlsServerName } : {}),
      ...(cluster.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
      ...(caData ? { "certificate-authority-data": caData } : {}),
      ...(cluster.proxyUrl ? { "proxy-url": cluster.proxyUrl } : {}),
      ...(cluster.execExtension !== undefined ? { config: cluster.execExtension } : {}),
    };
  }
  return JSON.stringify({ apiVersion: exec.apiVersion, kind: "ExecCredential", spec });
}

/** Runs a plugin and returns its stdout (a seam for tests). */
export type ExecRunner = (command: string, args: string[], env: NodeJS.ProcessEnv) => Promise<string>;

/** Runs the plugin with stdin closed; its stderr is passed on to the error message. */
export const runExecPlugin: ExecRunner = (command, args, env) =>
  new Promise((resolve, reject) => {
    const child = execFile(command, args, { env, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim();
        reject(new Error(`exec plugin ${command} failed: ${err.message}${detail ? `: ${detail}` : ""}`));
      } else {
        resolve(String(stdout));
      }
    });
    child.stdin?.end();
  });

/** One user's exec plugin with its cached credential. */
export class ExecCredentialSource {
  private cached?: ExecCredentialStatus;
  private pending?: Promise<ExecCredentialStatus>;

  constructor(
    private readonly exec: KubeconfigExec,
    private readonly cluster: KubeconfigCluster,
    private readonly caData: () => string | undefined = () => undefined,
    private readonly run: ExecRunner = runExecPlugin,
    private readonly now: () => number = Date.now,
  ) {
    if (!SUPPORTED_API_VERSIONS.has(exec.apiVersion)) {
      throw new Error(
        `exec plugin ${exec.command}: apiVersion ${exec.apiVersion} is not supported (client.authentication.k8s.io/v1 or v1beta1)`,
      );
    }
  }

  /** The cached credential while fresh, else a new one from the plugin. */
  async current(): Promise<ExecCredentialStatus> {
    if (this.cached && isCredentialFresh(this.cached, this.now())) return this.cached;
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** After a 401: the next `current()` runs the plugin again. */
  forget(): void {
    this.cached = undefined;
  }

  private async fetch(): Promise<ExecCredentialStatus> {
    if (this.exec.interactiveMode === "Always") {
      throw new Error(`exec plugin ${this.exec.command} needs a terminal (interactiveMode: Always); an operator has none`);
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const { name, value } of this.exec.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = execInfo(this.exec, this.cluster, this.caData());
    let stdout: string;
    try {
      stdout = await this.run(this.exec.command, this.exec.args, env);
    } catch (err) {
      const hint = this.exec.installHint ? `\n${this.exec.installHint}` : "";
      throw new Error(`${(err as Error).message}${hint}`);
    }
    const credential = parseExecCredential(stdout, this.exec.apiVersion);
    this.cached = credential;
    return credential;
  }
}
