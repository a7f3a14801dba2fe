/**
 * Credentials and TLS material per request: the {@link AuthSnapshot} a transport sends, its cache
 * ({@link CredentialCache}), and the adapter for a client-node `KubeConfig` a user hands us (or
 * that the fallback loader made for an auth provider): it asks client-node for the resulting
 * options through the public `applyToHTTPSOptions`, never through its per-request undici
 * dispatcher (which leaks a TLS connection per request in 2.0.1). Only client-node's *types* are
 * imported here: a `KubeConfig` object is used through its methods, so nothing loads client-node.
 * tsoperator's own kubeconfig loader is `cluster-config.ts`.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type * as https from "node:https";
import { impersonationHeaders, isClientNodeFallback, NO_CLUSTER_CONFIGURED, type ImpersonationExtras } from "./kubeconfig.js";

/** TLS options handed to undici's `connect` (the subset a kubeconfig can set). */
export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer | Array<string | Buffer>;
  key?: string | Buffer | Array<string | Buffer>;
  pfx?: unknown;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** What one request needs from the kubeconfig: headers (Authorization, Impersonate-*) and TLS. */
export interface AuthSnapshot {
  /** A list value is sent as one header per item (`Impersonate-Group`). */
  headers: Record<string, string | string[]>;
  tls: TlsOptions;
  /** A fingerprint of the TLS material: a change (e.g. an exec plugin rotated its client cert) needs a new pool. */
  tlsFingerprint: string;
}

/**
 * The current cluster's server URL; throws a clear error when the kubeconfig has none, or is
 * client-node's `http://localhost:8080` placeholder for "nothing configured".
 */
export function serverUrlOf(kc: KubeConfig): URL {
  if (isClientNodeFallback(kc)) throw new Error(NO_CLUSTER_CONFIGURED);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(`kubeconfig has no current cluster (current-context: "${kc.getCurrentContext() ?? ""}")`);
  }
  try {
    return new URL(cluster.server);
  } catch {
    throw new Error(`kubeconfig cluster "${cluster.name}" has an invalid server URL: "${cluster.server}"`);
  }
}

/** A stable key of (cluster, user): one connection pool per key. */
export function poolKeyOf(kc: KubeConfig): string {
  return JSON.stringify([kc.getCurrentCluster()?.name ?? "", kc.getCurrentUser()?.name ?? ""]);
}

/**
 * True when the user's credentials change over time (exec plugin, auth provider such as OIDC or
 * the in-cluster token file, or custom authenticators): those are asked again after a short TTL
 * and after a 401; static ones (token, basic, client certificate) are read once.
 */
export function hasDynamicCredentials(kc: KubeConfig): boolean {
  const user = kc.getCurrentUser();
  if (!user) return false;
  const custom = (kc as unknown as { custom_authenticators?: unknown[] }).custom_authenticators;
  return Boolean(user.exec || user.authProvider || (custom && custom.length > 0));
}

/** Asks client-node for the current headers and TLS options of the current context. */
export async function readAuthSnapshot(kc: KubeConfig): Promise<AuthSnapshot> {
  const opts: https.RequestOptions & { headers?: Record<string, string | number | string[]> } = {};
  await kc.applyToHTTPSOptions(opts);
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(opts.headers ?? {})) {
    // Trimmed: a token file written with a trailing newline must not break the header (client-go trims too).
    if (value !== undefined) headers[key] = (Array.isArray(value) ? value.join(", ") : String(value)).trim();
  }
  Object.assign(headers, impersonationHeaders(kc.getCurrentUser() as ImpersonationExtras | null));
  // Basic auth comes back as `auth: "user:password"` (an https.request option), not as a header.
  if (opts.auth && !hasHeader(headers, "authorization")) {
    headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
  }
  const tls: TlsOptions = {};
  if (opts.ca !== undefined) tls.ca = opts.ca as TlsOptions["ca"];
  if (opts.cert !== undefined) tls.cert = opts.cert as TlsOptions["cert"];
  if (opts.key !== undefined) tls.key = opts.key as TlsOptions["key"];
  if (opts.pfx !== undefined) tls.pfx = opts.pfx;
  if (opts.passphrase !== undefined) tls.passphrase = opts.passphrase;
  if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
  const servername = (opts as { servername?: string }).servername;
  if (servername !== undefined) tls.servername = servername;
  return { headers, tls, tlsFingerprint: fingerprint(tls) };
}

function hasHeader(headers: Record<string, string | string[]>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** A fingerprint of TLS material: equal for equal material, so a pool is replaced only when it changed. */
export function fingerprint(tls: TlsOptions): string {
  const text = (value: unknown): string =>
    value === undefined
      ? ""
      : Array.isArray(value)
        ? value.map(text).join("|")
        : Buffer.isBuffer(value)
          ? value.toString("base64")
          : String(value);
  return [text(tls.ca), text(tls.cert), text(tls.key), text(tls.rejectUnauthorized), text(tls.servername)].join("#");
}

/** Where a {@link CredentialCache} gets its snapshots: tsoperator's own kubeconfig or client-node's. */
export interface CredentialSource {
  /** True when the credentials change over time (token file, exec plugin, auth provider). */
  readonly dynamic: boolean;
  /** The headers and TLS material to use now. */
  readAuth(): Promise<AuthSnapshot>;
  /** After a 401: drop whatever credential the source caches. */
  forget(): void;
}

/** A client-node `KubeConfig` as a {@link CredentialSource}. */
export function clientNodeCredentials(kc: KubeConfig): CredentialSource {
  return { dynamic: hasDynamicCredentials(kc), readAuth: () => readAuthSnapshot(kc), forget: () => forgetProviderCaches(kc) };
}

/**
 * Caches the auth snapshot: forever for static credentials, `ttlMs` for dynamic ones (exec
 * credentials and client-node's authenticators cache tokens themselves; a token file is read again
 * after the TTL). `invalidate()` after a 401 forces the next `current()` to read anew.
 */
export class CredentialCache {
  private cached?: { snapshot: AuthSnapshot; at: number };
  private pending?: Promise<AuthSnapshot>;
  private readonly source: CredentialSource;

  /** `source`: a {@link CredentialSource}, or a client-node `KubeConfig` (adapted). */
  constructor(
    source: CredentialSource | KubeConfig,
    private readonly ttlMs = 10_000,
  ) {
    this.source = isCredentialSource(source) ? source : clientNodeCredentials(source);
  }

  /** True when the credentials can change (and a 401 is worth one retry with fresh ones). */
  get isDynamic(): boolean {
    return this.source.dynamic;
  }

  /** The snapshot to use now; concurrent callers share one refresh. */
  async current(): Promise<AuthSnapshot> {
    const cached = this.cached;
    if (cached && (!this.source.dynamic || performance.now() - cached.at < this.ttlMs)) return cached.snapshot;
    if (!this.pending) {
      this.pending = this.source
        .readAuth()
        .then((snapshot) => {
          this.cached = { snapshot, at: performance.now() };
          return snapshot;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    return this.pending;
  }

  /** Drops the cached snapshot and the source's cached credential of this user (after a 401). */
  invalidate(): void {
    this.cached = undefined;
    this.source.forget();
  }
}

function isCredentialSource(value: CredentialSource | KubeConfig): value is CredentialSource {
  return typeof (value as Partial<CredentialSource>).readAuth === "function";
}

/**
 * Makes client-node's authenticators fetch anew, as client-go does after a 401: the exec
 * authenticator keeps a credential without expiry forever and the token-file one re-reads only
 * every 60 s. Their caches are private fields of client-node 2.0.1 (`tokenCache` keyed by user
 * name, `token`); when a later version renames them this does nothing and the TTL still applies.
 */
export function forgetProviderCaches(kc: KubeConfig): void {
  const userName = kc.getCurrentUser()?.name;
  const internals = kc as unknown as { authenticators?: unknown[]; custom_authenticators?: unknown[] };
  for (const authenticator of [...(internals.authenticators ?? []), ...(internals.custom_authenticators ?? [])]) {
    const candidate = authenticator as {
      tokenCache?: Record<string, unknown>;
      token?: unknown;
      lastRead?: unknown;
      constructor?: { name?: string };
    };
    if (candidate.tokenCache && userName !== undefined && userName in candidate.tokenCache) {
      candidate.tokenCache[userName] = null;
    }
    if (candidate.constructor?.name === "FileAuth" && "token" in candidate) {
      candidate.token = null;
    }
  }
}
