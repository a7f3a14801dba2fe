/**
 * `ClusterConfig`: where the API server is and how to authenticate to it — what the transport
 * needs, and nothing of client-node. tsoperator loads kubeconfigs itself
 * ({@link loadClusterConfig}) because client-node's `KubeConfig` module imports client-node's whole
 * generated API and models: ~75-80 MB of a ~140 MB base RSS (measured, bench/README.md "Base RSS",
 * docs/internals.md "Loading kubeconfigs").
 *
 * Covered by the own loader (what operators meet in practice):
 * - the in-cluster service account: `KUBERNETES_SERVICE_HOST`/`_PORT`, its CA, its token file
 *   read again when the credential cache expires (10 s) and at once after a 401 (bound tokens rotate);
 * - kubeconfig files (`kubeconfig-file.ts`: `KUBECONFIG` merged, `~/.kube/config`): server,
 *   certificate-authority(-data), insecure-skip-tls-verify, tls-server-name, proxy-url;
 *   client-certificate(-data)/client-key(-data), token, tokenFile, exec plugins (`exec-credential.ts`),
 *   username/password, and impersonation (as, as-groups, as-uid, as-user-extra).
 * Precedence as before (client-node's `loadFromDefault`, kube-rs's `Config::infer`): an explicit
 * file, else `KUBECONFIG`, else `~/.kube/config`, else the in-cluster account.
 * Anything else (an `auth-provider`: oidc, gcp, azure) falls back to client-node's loader, loaded
 * only then, so nothing that worked before breaks. A client-node `KubeConfig` a user passes is
 * adapted ({@link clusterConfigOf}) and authenticates through client-node, as before.
 */
import { existsSync, readFileSync } from "node:fs";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  clientNodeCredentials,
  fingerprint,
  poolKeyOf,
  serverUrlOf,
  type AuthSnapshot,
  type CredentialSource,
  type TlsOptions,
} from "./credentials.js";
import { ExecCredentialSource } from "./exec-credential.js";
import { impersonationHeaders, loadKubeConfig, NO_CLUSTER_CONFIGURED, type LoadKubeConfigOptions } from "./kubeconfig.js";
import { kubeconfigFiles, readKubeconfigs, resolveContext, type KubeconfigCluster, type ResolvedContext } from "./kubeconfig-file.js";

/** Where the API server is and how to authenticate: what a `KubeClient` is made from. */
export interface ClusterConfig extends CredentialSource {
  /** The server URL (origin plus any path prefix). */
  readonly server: URL;
  /** An http(s) proxy for every connection, from the cluster's `proxy-url`. */
  readonly proxyUrl?: string;
  /** One connection pool per key: the (cluster, user) pair. */
  readonly poolKey: string;
  /** The context's namespace, if it names one (the in-cluster account's own namespace). */
  readonly namespace?: string;
  /**
   * The same configuration as a client-node `KubeConfig` (for code that uses client-node's typed
   * APIs, and the injectable `KubeConfig`): made, and client-node loaded, on the first call.
   */
  toKubeConfig(): KubeConfig;
}

/** Options of {@link loadClusterConfig}. */
export interface LoadClusterConfigOptions extends LoadKubeConfigOptions {
  /** Where the service account is mounted (tests). Default `/var/run/secrets/kubernetes.io/serviceaccount`. */
  serviceAccountDir?: string;
  /** The environment to read `KUBECONFIG`, `HOME` and `KUBERNETES_SERVICE_*` from (tests). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** True for a {@link ClusterConfig} (as opposed to a client-node `KubeConfig`). */
export function isClusterConfig(value: unknown): value is ClusterConfig {
  const v = value as Partial<ClusterConfig> | null;
  return !!v && typeof v.readAuth === "function" && typeof v.poolKey === "string" && v.server instanceof URL;
}

/** A {@link ClusterConfig} as is; a client-node `KubeConfig` adapted (its own authenticators keep working). */
export function clusterConfigOf(config: ClusterConfig | KubeConfig): ClusterConfig {
  if (isClusterConfig(config)) return config;
  const kc = config;
  const server = serverUrlOf(kc);
  const proxyUrl = kc.getCurrentCluster()?.proxyUrl;
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return {
    ...clientNodeCredentials(kc),
    server,
    poolKey: poolKeyOf(kc),
    ...(proxyUrl ? { proxyUrl } : {}),
    ...(namespace ? { namespace } : {}),
    toKubeConfig: () => kc,
  };
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Loads the cluster configuration without client-node (see the module comment for what is
 * covered and the precedence); an `auth-provider` user falls back to client-node's loader.
 * Throws {@link NO_CLUSTER_CONFIGURED} when nothing is configured.
 */
export function loadClusterConfig(options: LoadClusterConfigOptions = {}): ClusterConfig {
  const env = options.env ?? process.env;
  const files =
    options.path !== undefined
      ? [options.path]
      : kubeconfigFiles({ KUBECONFIG: env.KUBECONFIG, HOME: env.HOME, USERPROFILE: env.USERPROFILE }, existsSync);
  if (files.length > 0) {
    const context = resolveContext(readKubeconfigs(files, (file) => readFileSync(file, "utf8")));
    // Not covered here: client-node's authenticators (loaded now, and only now).
    if (context.user.authProvider) return clusterConfigOf(loadKubeConfig({ path: options.path }));
    return new KubeconfigClusterConfig(context, () => loadKubeConfig({ path: options.path }));
  }
  const inCluster = inClusterContext(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (inCluster) return new KubeconfigClusterConfig(inCluster, () => loadKubeConfig());
  throw new Error(NO_CLUSTER_CONFIGURED);
}

/**
 * The in-cluster service account as a context (client-go's `rest.InClusterConfig`): both
 * `KUBERNETES_SERVICE_HOST` and `_PORT` set and the token file present; the token file is read
 * again on every refresh (projected tokens rotate).
 */
export function inClusterContext(env: NodeJS.ProcessEnv, dir: string): ResolvedContext | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = `${dir}/token`;
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const namespaceFile = `${dir}/namespace`;
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined;
  const caFile = `${dir}/ca.crt`;
  return {
    contextName: "inClusterContext",
    clusterName: "inCluster",
    userName: "inClusterUser",
    cluster: {
      server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
      ...(existsSync(caFile) ? { certificateAuthority: caFile } : {}),
    },
    user: { tokenFile },
    ...(namespace ? { namespace } : {}),
  };
}

/** A context of tsoperator's own loader, as a {@link ClusterConfig}. */
class KubeconfigClusterConfig implements ClusterConfig {
  readonly server: URL;
  readonly proxyUrl?: string;
  readonly poolKey: string;
  readonly namespace?: string;
  readonly dynamic: boolean;
  private readonly exec?: ExecCredentialSource;
  private kubeConfig?: KubeConfig;

  constructor(
    private readonly context: ResolvedContext,
    private readonly makeKubeConfig: () => KubeConfig,
  ) {
    const { cluster, user } = context;
    try {
      this.server = new URL(cluster.server);
    } catch {
      throw new Error(`kubeconfig cluster "${context.clusterName}" has an invalid server URL: "${cluster.server}"`);
    }
    if (cluster.proxyUrl) this.proxyUrl = cluster.proxyUrl;
    if (context.namespace) this.namespace = context.namespace;
    this.poolKey = JSON.stringify([context.clusterName, context.userName]);
    // client-go's order: a static token wins over a token file, both over an exec plugin's token
    // (its round tripper leaves an Authorization header alone); basic auth only without a token.
    if (!user.token && !user.tokenFile && user.exec) {
      this.exec = new ExecCredentialSource(user.exec, cluster, () => caDataOf(cluster));
    }
    this.dynamic = !user.token && (user.tokenFile !== undefined || this.exec !== undefined);
  }

  async readAuth(): Promise<AuthSnapshot> {
    const { cluster, user } = this.context;
    const headers: Record<string, string | string[]> = {};
    const tls: TlsOptions = {};
    const ca = caOf(cluster);
    if (ca !== undefined) tls.ca = ca;
    if (cluster.insecureSkipTlsVerify) tls.rejectUnauthorized = false;
    if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
    const cert = user.clientCertificateData ? decode(user.clientCertificateData) : readIf(user.clientCertificate);
    const key = user.clientKeyData ? decode(user.clientKeyData) : readIf(user.clientKey);
    if (cert !== undefined) tls.cert = cert;
    if (key !== undefined) tls.key = key;
    const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, "utf8") : undefined);
    if (token !== undefined && token.trim() !== "") {
      // Trimmed: a token file written with a trailing newline must not break the header (client-go trims too).
      headers.Authorization = `Bearer ${token.trim()}`;
    } else if (this.exec) {
      const credential = await this.exec.current();
      if (credential.token) headers.Authorization = `Bearer ${credential.token}`;
      if (credential.clientCertificateData && credential.clientKeyData) {
        tls.cert = credential.clientCertificateData;
        tls.key = credential.clientKeyData;
      }
    } else if (user.username !== undefined || user.password !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${user.username ?? ""}:${user.password ?? ""}`).toString("base64")}`;
    }
    if (user.impersonate) headers["Impersonate-User"] = user.impersonate;
    Object.assign(headers, impersonationHeaders(user));
    return { headers, tls, tlsFingerprint: fingerprint(tls) };
  }

  forget(): void {
    this.exec?.forget();
  }

  toKubeConfig(): KubeConfig {
    this.kubeConfig ??= this.makeKubeConfig();
    return this.kubeConfig;
  }
}

function caOf(cluster: KubeconfigCluster): string | Buffer | undefined {
  if (cluster.certificateAuthorityData) return decode(cluster.certificateAuthorityData);
  return readIf(cluster.certificateAuthority);
}

function caDataOf(cluster: KubeconfigCluster): string | undefined {
  const ca = caOf(cluster);
  return ca === undefined ? undefined : Buffer.from(ca).toString("base64");
}

function decode(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

function readIf(file: string | undefined): Buffer | undefined {
  return file === undefined ? undefined : readFileSync(file);
}
