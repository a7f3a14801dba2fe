/**
 * Kubeconfig files as data: parsing one file, merging several, choosing the files and resolving
 * the current context. Pure (the file reader is passed in); the I/O and the credentials are in
 * `cluster-config.ts`.
 *
 * The rules are client-go's `clientcmd` (loader.go, `ClientConfigLoadingRules.Load`) and kube-rs's
 * `Kubeconfig::merge` (kube-client/src/config/file_config.rs), which follow the documented ones
 * (kubernetes.io "Organizing cluster access using kubeconfig files", merging):
 * - `KUBECONFIG` is a list of files (`:` on POSIX, `;` on Windows); empty entries are ignored;
 *   when it names any file, only its files are read, else `~/.kube/config`;
 * - the first file to set a value or a map key wins, and a key's value is never changed: the
 *   first file's `current-context` stays, and a `red-user` from a second file is discarded whole
 *   even if it has fields the first one lacks;
 * - relative paths in a file (certificate-authority, client-certificate, client-key, token-file,
 *   an exec command that contains a path separator) are relative to the directory of the file
 *   that holds them, resolved before merging (clientcmd `ResolveLocalPaths`).
 */
import { delimiter, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { parseYaml } from "./on-demand.js";

/** A `clusters[].cluster` entry, paths already absolute. */
export interface KubeconfigCluster {
  server: string;
  certificateAuthority?: string;
  /** base64, as in the file */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  /** `extensions[name=client.authentication.k8s.io/exec].extension`: handed to exec plugins with provideClusterInfo. */
  execExtension?: unknown;
}

/** A `users[].user` exec entry (client.authentication.k8s.io/v1 or v1beta1). */
export interface KubeconfigExec {
  apiVersion: string;
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  provideClusterInfo: boolean;
  /** `Never` | `IfAvailable` | `Always`; a long-running operator has no terminal, so `Always` cannot work. */
  interactiveMode?: string;
  installHint?: string;
}

/** A `users[].user` entry, paths already absolute. */
export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
  exec?: KubeconfigExec;
  /** `auth-provider` (oidc, gcp, azure): not read here; loading falls back to client-node. */
  authProvider?: { name: string };
  impersonate?: string;
  impersonateGroups?: string[];
  impersonateUid?: string;
  impersonateExtra?: Record<string, string[]>;
}

/** A `contexts[].context` entry. */
export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

/** One or more kubeconfig files, merged. Maps keep the first entry of a name. */
export interface Kubeconfig {
  currentContext?: string;
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
}

/** The current context, resolved to its cluster and user. */
export interface ResolvedContext {
  contextName: string;
  clusterName: string;
  userName: string;
  cluster: KubeconfigCluster;
  user: KubeconfigUser;
  namespace?: string;
}

/**
 * The files to read: `KUBECONFIG`'s (empty entries ignored), else `~/.kube/config` when it exists;
 * an empty list means "no kubeconfig" (the caller tries the in-cluster account next).
 */
export function kubeconfigFiles(
  env: { KUBECONFIG?: string; HOME?: string; USERPROFILE?: string },
  exists: (path: string) => boolean,
): string[] {
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).filter((f) => f !== "");
  if (fromEnv.length > 0) return fromEnv;
  const home = env.HOME ?? env.USERPROFILE;
  const file = home ? join(home, ".kube", "config") : undefined;
  return file && exists(file) ? [file] : [];
}

/** Parses one kubeconfig file's text; `file` names it in errors and anchors its relative paths. */
export function parseKubeconfig(text: string, file: string): Kubeconfig {
  const doc = parseYaml(text) as unknown;
  const config: Kubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map() };
  if (doc === null || doc === undefined) return config;
  if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${file}: not a kubeconfig (expected a YAML map)`);
  const root = doc as Record<string, unknown>;
  const base = dirname(file);
  const at = (what: string) => `${file}: ${what}`;
  if (typeof root["current-context"] === "string" && root["current-context"] !== "") config.currentContext = root["current-context"];
  for (const [name, c] of namedEntries(root.clusters, "cluster", at("clusters"))) {
    if (config.clusters.has(name)) continue;
    config.clusters.set(name, parseCluster(c, base, at(`clusters[${name}]`)));
  }
  for (const [name, u] of namedEntries(root.users, "user", at("users"))) {
    if (config.users.has(name)) continue;
    config.users.set(name, parseUser(u, base, at(`users[${name}]`)));
  }
  for (const [name, c] of namedEntries(root.contexts, "context", at("contexts"))) {
    if (config.contexts.has(name)) continue;
    config.contexts.set(name, {
      cluster: str(c.cluster, at(`contexts[${name}].cluster`)) ?? "",
      user: str(c.user, at(`contexts[${name}].user`)) ?? "",
      ...optional("namespace", str(c.namespace, at(`contexts[${name}].namespace`))),
    });
  }
  return config;
}

/** Merges files in order: the first to set a value or a name wins (client-go, kube-rs). */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const merged: Kubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const config of configs) {
    merged.currentContext ??= config.currentContext;
    for (const [name, v] of config.clusters) if (!merged.clusters.has(name)) merged.clusters.set(name, v);
    for (const [name, v] of config.users) if (!merged.users.has(name)) merged.users.set(name, v);
    for (const [name, v] of config.contexts) if (!merged.contexts.has(name)) merged.contexts.set(name, v);
  }
  return merged;
}

/** Reads, parses and merges `files` (a missing file is an error, as in client-node and kube-rs). */
export function readKubeconfigs(files: readonly string[], read: (path: string) => string): Kubeconfig {
  return mergeKubeconfigs(files.map((file) => parseKubeconfig(read(file), file)));
}

/**
 * The current (or the named) context with its cluster and user. A context may name a user that
 * no file defines: it then has no credentials (kubectl's behaviour); a missing cluster is an error.
 */
export function resolveContext(config: Kubeconfig, contextName = config.currentContext): ResolvedContext {
  if (!contextName) throw new Error("kubeconfig has no current-context: set one (kubectl config use-context <name>)");
  const context = config.contexts.get(contextName);
  if (!context) throw new Error(`kubeconfig context "${contextName}" is not defined`);
  const cluster = config.clusters.get(context.cluster);
  if (!cluster) throw new Error(`kubeconfig context "${contextName}" names cluster "${context.cluster}", which is not defined`);
  return {
    contextName,
    clusterName: context.cluster,
    userName: context.user,
    cluster,
    user: config.users.get(context.user) ?? {},
    ...optional("namespace", context.namespace),
  };
}

function parseCluster(c: Record<string, unknown>, base: string, at: string): KubeconfigCluster {
  const server = str(c.server, `${at}.server`);
  if (!server) throw new Error(`${at}: no server`);
  const execExtension = namedEntries(c.extensions, "extension", `${at}.extensions`).find(
    ([name]) => name === "client.authentication.k8s.io/exec",
  )?.[1];
  return {
    server,
    ...optional("certificateAuthority", path(c["certificate-authority"], base, `${at}.certificate-authority`)),
    ...optional("certificateAuthorityData", str(c["certificate-authority-data"], `${at}.certificate-authority-data`)),
    ...optional("insecureSkipTlsVerify", bool(c["insecure-skip-tls-verify"], `${at}.insecure-skip-tls-verify`)),
    ...optional("tlsServerName", str(c["tls-server-name"], `${at}.tls-server-name`)),
    ...optional("proxyUrl", str(c["proxy-url"], `${at}.proxy-url`)),
    ...(execExtension !== undefined ? { execExtension } : {}),
  };
}

function parseUser(u: Record<string, unknown>, base: string, at: string): KubeconfigUser {
  const user: KubeconfigUser = {
    ...optional("token", str(u.token, `${at}.token`)),
    ...optional("tokenFile", path(u["token-file"] ?? u.tokenFile, base, `${at}.token-file`)),
    ...optional("clientCertificate", path(u["client-certificate"], base, `${at}.client-certificate`)),
    ...optional("clientCertificateData", str(u["client-certificate-data"], `${at}.client-certificate-data`)),
    ...optional("clientKey", path(u["client-key"], base, `${at}.client-key`)),
    ...optional("clientKeyData", str(u["client-key-data"], `${at}.client-key-data`)),
    ...optional("username", str(u.username, `${at}.username`)),
    ...optional("password", str(u.password, `${at}.password`)),
    ...optional("impersonate", str(u.as, `${at}.as`)),
    ...optional("impersonateUid", str(u["as-uid"], `${at}.as-uid`)),
  };
  if (u["as-groups"] !== undefined && u["as-groups"] !== null) user.impersonateGroups = stringList(u["as-groups"], `${at}.as-groups`);
  const extra = u["as-user-extra"];
  if (extra !== undefined && extra !== null) {
    if (typeof extra !== "object" || Array.isArray(extra)) throw new Error(`${at}.as-user-extra must be a map of lists`);
    user.impersonateExtra = Object.fromEntries(
      Object.entries(extra).map(([key, values]) => [key, stringList(values, `${at}.as-user-extra.${key}`)] as const),
    );
  }
  const authProvider = u["auth-provider"];
  if (authProvider && typeof authProvider === "object") {
    user.authProvider = { name: String((authProvider as { name?: unknown }).name ?? "") };
  }
  const exec = u.exec;
  if (exec && typeof exec === "object") user.exec = parseExec(exec as Record<string, unknown>, base, `${at}.exec`);
  return user;
}

function parseExec(e: Record<string, unknown>, base: string, at: string): KubeconfigExec {
  const command = str(e.command, `${at}.command`);
  if (!command) throw new Error(`${at}: no command`);
  const apiVersion = str(e.apiVersion, `${at}.apiVersion`);
  if (!apiVersion) throw new Error(`${at}: no apiVersion (client.authentication.k8s.io/v1 or v1beta1)`);
  const env = e.env === undefined || e.env === null ? [] : e.env;
  if (!Array.isArray(env)) throw new Error(`${at}.env must be a list of { name, value }`);
  return {
    apiVersion,
    // clientcmd resolves a command with a path separator against the file's directory; a bare name is looked up in PATH.
    command: command.includes("/") || command.includes(sep) ? (path(command, base, `${at}.command`) ?? command) : command,
    args: e.args === undefined || e.args === null ? [] : stringList(e.args, `${at}.args`),
    env: env.map((entry, i) => {
      const { name, value } = (entry ?? {}) as { name?: unknown; value?: unknown };
      if (typeof name !== "string") throw new Error(`${at}.env[${i}].name must be a string`);
      return { name, value: value === undefined || value === null ? "" : String(value) };
    }),
    provideClusterInfo: bool(e.provideClusterInfo, `${at}.provideClusterInfo`) ?? false,
    ...optional("interactiveMode", str(e.interactiveMode, `${at}.interactiveMode`)),
    ...optional("installHint", str(e.installHint, `${at}.installHint`)),
  };
}

/** `[{ name, <key>: {...} }]` -> [name, entry] pairs; entries without a name or body are skipped. */
function namedEntries(list: unknown, key: string, at: string): Array<[string, Record<string, unknown>]> {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`${at} must be a list`);
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const item of list) {
    const { name, [key]: body } = (item ?? {}) as Record<string, unknown>;
    if (typeof name === "string" && body && typeof body === "object") out.push([name, body as Record<string, unknown>]);
  }
  return out;
}

function str(value: unknown, at: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new Error(`${at} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function bool(value: unknown, at: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new Error(`${at} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function path(value: unknown, base: string, at: string): string | undefined {
  const p = str(value, at);
  return p === undefined ? undefined : isAbsolute(p) ? p : resolve(base, p);
}

function stringList(value: unknown, at: string): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  if (typeof value === "string") return [value];
  throw new Error(`kubeconfig ${at} must be a list of strings, got ${JSON.stringify(value)}`);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
