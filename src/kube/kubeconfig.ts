/**
 * Loading a client-node `KubeConfig` (the public {@link loadKubeConfig}, the runtime's fallback
 * for what its own loader in `cluster-config.ts` does not cover: `auth-provider` oidc/gcp/azure,
 * and the `KubeConfig` users may inject). client-node is loaded when this is first called, not
 * when this module is imported: importing any of its values loads its whole generated API
 * (~75 MB of RSS, bench/README.md "Base RSS"). client-node's loader plus what that loader gets
 * wrong for a long-running process:
 * - with nothing configured it silently falls back to `http://localhost:8080`, whose first request
 *   then fails with "HTTP protocol is not allowed when skipTLSVerify is not set": we refuse with a
 *   message that says what to configure ({@link NO_CLUSTER_CONFIGURED});
 * - `token-file` is read once, at load time, so a rotated (projected, bound) service-account token
 *   is never picked up: we hand the file to client-node's token-file authenticator instead, which
 *   reads it again every minute (client-go's period), and the transport's 401 retry reads it at once;
 * - `as-groups`, `as-uid` and `as-user-extra` are dropped: we keep them on the user
 *   ({@link ImpersonationExtras}) and `readAuthSnapshot` sends them as `Impersonate-*` headers.
 */
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { createRequire } from "node:module";
import type { KubeConfig, User } from "@kubernetes/client-node";
import { parseYaml } from "./on-demand.js";

const requireFromHere = createRequire(import.meta.url);

/** client-node's `KubeConfig` class, loaded on first use (a synchronous `require` of the ES module). */
export function clientNodeKubeConfigClass(): typeof KubeConfig {
  return (requireFromHere("@kubernetes/client-node") as typeof import("@kubernetes/client-node")).KubeConfig;
}

/** The error text when no cluster is configured anywhere. */
export const NO_CLUSTER_CONFIGURED =
  "no Kubernetes cluster configured: set KUBECONFIG, create ~/.kube/config, run in a pod with a service account, " +
  "or pass { kubeConfig } to runOperators (tsoperator/testing's LocalControlPlane gives one for local runs)";

/**
 * Impersonation a kubeconfig user may carry besides `as` (client-node's `impersonateUser`), kept
 * on the user object by {@link loadKubeConfig}. Set them on a user you build yourself
 * (`kc.loadFromOptions`) to the same effect.
 */
export interface ImpersonationExtras {
  /** `as-groups`: one `Impersonate-Group` header each. */
  impersonateGroups?: string[];
  /** `as-uid`: the `Impersonate-Uid` header. */
  impersonateUid?: string;
  /** `as-user-extra`: one `Impersonate-Extra-<key>` header per value. */
  impersonateExtra?: Record<string, string[]>;
}

/** Options of {@link loadKubeConfig}. */
export interface LoadKubeConfigOptions {
  /** A kubeconfig file; default: KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  path?: string;
}

/**
 * Loads a kubeconfig file (or the default: KUBECONFIG, `~/.kube/config`, the in-cluster service
 * account, in client-node's order) with rotating `token-file` tokens and every impersonation field.
 * Throws {@link NO_CLUSTER_CONFIGURED} when nothing is configured.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new (clientNodeKubeConfigClass())();
  let files: string[];
  if (options.path !== undefined) {
    kc.loadFromFile(options.path);
    files = [options.path];
  } else {
    kc.loadFromDefault();
    files = defaultKubeconfigFiles();
  }
  if (!kc.getCurrentCluster() || isClientNodeFallback(kc)) throw new Error(NO_CLUSTER_CONFIGURED);
  for (const file of files) applyUserFields(kc, file);
  return kc;
}

/**
 * True for the placeholder `KubeConfig.loadFromDefault()` falls back to when it finds no
 * kubeconfig and no service account (`http://localhost:8080`, no credentials): not a cluster.
 */
export function isClientNodeFallback(kc: KubeConfig): boolean {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  return (
    kc.getCurrentContext() === "loaded-context" &&
    cluster?.name === "cluster" &&
    cluster.server === "http://localhost:8080" &&
    user?.name === "user" &&
    !user.token &&
    !user.exec &&
    !user.authProvider &&
    !user.certData &&
    !user.certFile &&
    !user.username
  );
}

/** The files `loadFromDefault` reads, in its order (none when it uses the in-cluster account). */
function defaultKubeconfigFiles(): string[] {
  const fromEnv = (process.env.KUBECONFIG ?? "").split(delimiter).filter((f) => f !== "");
  if (fromEnv.length > 0) return fromEnv;
  const home = process.env.HOME;
  const file = home ? join(home, ".kube", "config") : undefined;
  return file && existsSync(file) ? [file] : [];
}

/** The raw `user:` entries of one file, by name. */
function rawUsersOf(file: string): Map<string, Record<string, unknown>> {
  const doc = parseYaml(readFileSync(file, "utf8")) as { users?: Array<{ name?: unknown; user?: unknown }> } | null;
  const users = new Map<string, Record<string, unknown>>();
  for (const entry of doc?.users ?? []) {
    if (typeof entry?.name === "string" && entry.user && typeof entry.user === "object") {
      users.set(entry.name, entry.user as Record<string, unknown>);
    }
  }
  return users;
}

/** Puts back what client-node's user parser drops, for the users defined in `file`. */
function applyUserFields(kc: KubeConfig, file: string): void {
  const raw = rawUsersOf(file);
  kc.users = kc.users.map((user) => {
    const fields = raw.get(user.name);
    if (!fields) return user;
    let next: User & ImpersonationExtras = user;
    const tokenFile = fields["token-file"];
    // kubectl's precedence: an inline token wins over token-file; an auth provider or exec plugin is its own source.
    if (typeof tokenFile === "string" && tokenFile !== "" && !fields.token && !user.authProvider && !user.exec) {
      const path = isAbsolute(tokenFile) ? tokenFile : resolve(dirname(file), tokenFile);
      // client-node's FileAuth reads the file again after 60 s (and at once after our 401 retry
      // forgets its copy); the token read at load time must go, or it would win over the file.
      const { token: _readOnce, ...rest } = next;
      next = { ...rest, authProvider: { name: "tokenfile", config: { tokenFile: path } } };
    }
    const groups = fields["as-groups"];
    if (groups !== undefined) next = { ...next, impersonateGroups: stringList(groups, `users[${user.name}].as-groups`) };
    const uid = fields["as-uid"];
    if (typeof uid === "string" && uid !== "") next = { ...next, impersonateUid: uid };
    const extra = fields["as-user-extra"];
    if (extra !== undefined && extra !== null) {
      if (typeof extra !== "object" || Array.isArray(extra))
        throw new Error(`${file}: users[${user.name}].as-user-extra must be a map of lists`);
      const entries = Object.entries(extra).map(
        ([key, values]) => [key, stringList(values, `users[${user.name}].as-user-extra.${key}`)] as const,
      );
      next = { ...next, impersonateExtra: Object.fromEntries(entries) };
    }
    return next;
  });
}

function stringList(value: unknown, what: string): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  if (typeof value === "string") return [value];
  throw new Error(`kubeconfig ${what} must be a list of strings, got ${JSON.stringify(value)}`);
}

/** The `Impersonate-*` headers beyond `Impersonate-User` (which client-node sets) for a user. */
export function impersonationHeaders(user: ImpersonationExtras | null | undefined): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (!user) return headers;
  if (user.impersonateGroups && user.impersonateGroups.length > 0) headers["Impersonate-Group"] = [...user.impersonateGroups];
  if (user.impersonateUid) headers["Impersonate-Uid"] = user.impersonateUid;
  for (const [key, values] of Object.entries(user.impersonateExtra ?? {})) {
    // Header names cannot carry every character of an extra key: the API server percent-decodes them.
    headers[`Impersonate-Extra-${encodeExtraKey(key)}`] = [...values];
  }
  return headers;
}

/** Percent-encodes what is not a legal header-name character, and `%` itself (client-go's headerKeyEscape; the API server decodes it). */
function encodeExtraKey(key: string): string {
  return Array.from(Buffer.from(key, "utf8"))
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9!#$&'*+\-.^_`|~]/.test(ch) && byte < 0x80 ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}
