/**
 * The slice of the API client the reconciler writes through. Owns the rule that every write is
 * refused once the sync's signal aborted or the lease is lost (`guardedWriteClient`), so no write
 * leaves after shutdown began or another replica may lead.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { WritesStoppedError } from "../core/errors.js";

/** Options every write takes: the signal aborts the request (shutdown, lease lost). */
interface Signalled {
  signal?: AbortSignal;
}

/**
 * The writes the reconciler makes, as a structural slice of `KubeClient`. Kept narrow so the
 * reconciler's modules say exactly which verbs they use (and so RBAC generation can mirror them).
 */
export interface WriteClient {
  /** Looks a child up by name when its create found the name taken (undefined when it does not exist). */
  get(type: ResourceType, namespace: string | undefined, name: string, opts?: Signalled): Promise<KubeObject | undefined>;
  create(type: ResourceType, obj: KubeObject, opts?: { fieldManager?: string } & Signalled): Promise<KubeObject>;
  replace(type: ResourceType, obj: KubeObject, opts?: { fieldManager?: string } & Signalled): Promise<KubeObject>;
  apply(type: ResourceType, obj: KubeObject, opts: { fieldManager: string; force?: boolean } & Signalled): Promise<KubeObject>;
  applyStatus(type: ResourceType, obj: KubeObject, opts: { fieldManager: string; force?: boolean } & Signalled): Promise<KubeObject>;
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    contentType: "merge" | "json",
    opts?: { subresource?: string } & Signalled,
  ): Promise<KubeObject>;
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts?: {
      propagationPolicy?: "Foreground" | "Background" | "Orphan";
      preconditions?: { uid?: string; resourceVersion?: string };
    } & Signalled,
  ): Promise<KubeObject | undefined>;
}

/** When the reconciler may still write: the sync's signal, plus a leadership check read just before each write. */
export interface WriteGuard {
  /** Aborts at shutdown or when leadership ends; passed to every request. */
  signal: AbortSignal;
  /**
   * False once this replica's lease is no longer valid by its own clock. Read synchronously right
   * before a request goes out: a handler that blocked the event loop past the lease returns
   * before the elector's timer could notice, so the signal alone would be too late.
   */
  mayWrite?: () => boolean;
}

/**
 * A `WriteClient` that refuses to send once writing is no longer allowed (throws
 * `WritesStoppedError` without a request) and passes the signal down to every request.
 */
export function guardedWriteClient(client: WriteClient, guard: WriteGuard): WriteClient {
  const check = (): void => {
    if (guard.signal.aborted) throw new WritesStoppedError("shutdown");
    if (guard.mayWrite && !guard.mayWrite()) throw new WritesStoppedError("not leading");
  };
  const { signal } = guard;
  // A request aborted by the signal is not a failed write of the parent: it was stopped.
  const send = async <T>(request: () => Promise<T>): Promise<T> => {
    check();
    try {
      return await request();
    } catch (error) {
      if (signal.aborted) throw new WritesStoppedError("shutdown");
      throw error;
    }
  };
  return {
    // A read: not refused, but aborted with the sync.
    get: (type, namespace, name) => client.get(type, namespace, name, { signal }),
    create: (type, obj, opts) => send(() => client.create(type, obj, { ...opts, signal })),
    replace: (type, obj, opts) => send(() => client.replace(type, obj, { ...opts, signal })),
    apply: (type, obj, opts) => send(() => client.apply(type, obj, { ...opts, signal })),
    applyStatus: (type, obj, opts) => send(() => client.applyStatus(type, obj, { ...opts, signal })),
    patch: (type, namespace, name, patch, contentType, opts) =>
      send(() => client.patch(type, namespace, name, patch, contentType, { ...opts, signal })),
    delete: (type, namespace, name, opts) => send(() => client.delete(type, namespace, name, { ...opts, signal })),
  };
}
