/**
 * Dependencies of the kube layer loaded when first used, or in part, instead of at import: each
 * one costs an operator memory it may never need (measured with bench/memory/base-rss.mjs, a fresh
 * Node 24 after forced GCs; docs/internals.md "Loading kubeconfigs"):
 * - `yaml` (~12 MB of RSS): only a kubeconfig file needs it; an operator in a pod reads its
 *   service account's plain files and never loads it;
 * - undici's index (~28 MB) loads every dispatcher, fetch, WebSocket, the cache and the mock
 *   agents; the transport needs `Pool` and `ProxyAgent` (~15 MB). undici (8.x) has no `exports`
 *   map, so its files can be required directly; its index also adds the request API (`request`,
 *   `stream`, ...) to `Dispatcher.prototype`, which is done here the same way. When a later undici
 *   moves those files, the index is loaded instead (the same classes, the memory of before).
 */
import { createRequire } from "node:module";
import type { Pool, ProxyAgent } from "undici";

const requireFromHere = createRequire(import.meta.url);

/** YAML text -> value (`yaml`'s `parse`, loaded on the first call). */
export function parseYaml(text: string): unknown {
  return (requireFromHere("yaml") as typeof import("yaml")).parse(text);
}

/** The undici dispatchers the transport uses. */
export interface UndiciDispatchers {
  Pool: typeof Pool;
  ProxyAgent: typeof ProxyAgent;
}

let dispatchers: UndiciDispatchers | undefined;

/** undici's `Pool` and `ProxyAgent` without the rest of undici (see the module comment). */
export function undiciDispatchers(): UndiciDispatchers {
  dispatchers ??= fromUndiciFiles() ?? fromUndiciIndex();
  return dispatchers;
}

function fromUndiciFiles(): UndiciDispatchers | undefined {
  try {
    const dispatcher = requireFromHere("undici/lib/dispatcher/dispatcher.js") as { prototype: Record<string, unknown> };
    if (typeof dispatcher.prototype.request !== "function") {
      Object.assign(dispatcher.prototype, requireFromHere("undici/lib/api/index.js") as Record<string, unknown>);
    }
    const pool = requireFromHere("undici/lib/dispatcher/pool.js") as typeof Pool;
    const proxyAgent = requireFromHere("undici/lib/dispatcher/proxy-agent.js") as typeof ProxyAgent;
    const ok = typeof pool === "function" && typeof proxyAgent === "function" && typeof pool.prototype.request === "function";
    return ok ? { Pool: pool, ProxyAgent: proxyAgent } : undefined;
  } catch {
    return undefined;
  }
}

function fromUndiciIndex(): UndiciDispatchers {
  const undici = requireFromHere("undici") as typeof import("undici");
  return { Pool: undici.Pool, ProxyAgent: undici.ProxyAgent };
}
