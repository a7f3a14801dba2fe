/**
 * One type's cache over a scope of several namespaces: one informer per namespace (list+watch of
 * that namespace only, as controller-runtime's multi-namespace cache does for `DefaultNamespaces`),
 * read and written as one. Owns nothing but the routing: reads go to the informer of the object's
 * namespace, write answers back to it (the informer stays the only writer of its cache), listeners
 * hear every informer. A group of one informer (a single namespace, or all namespaces) just
 * forwards. Guarantees: an object outside the group's namespaces is never read or stored.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { Informer, InformerListener } from "./informer.js";
import type { CacheReader } from "./object-store.js";

/** The informers of one type over a scope, read and written as one cache. See the module comment. */
export class InformerGroup {
  /** Per namespace, its informer; empty when the group has one informer for every namespace. */
  private readonly byNamespace = new Map<string, Informer>();
  /** The read-only view over every informer of the group. */
  readonly store: CacheReader;

  /**
   * @param informers one per namespace (each created with that namespace), or exactly one without
   *   a namespace (it holds every namespace, or the type is cluster-scoped)
   */
  constructor(readonly informers: readonly Informer[]) {
    if (informers.length === 0) throw new Error("an informer group needs at least one informer");
    if (informers.length > 1) {
      for (const informer of informers) {
        const namespace = informer.scope.namespace;
        if (namespace === undefined) throw new Error(`informer group of ${informer.type.plural}: every informer needs a namespace`);
        this.byNamespace.set(namespace, informer);
      }
    }
    this.store = informers.length === 1 ? informers[0]!.store : new GroupReader(informers, this.byNamespace);
  }

  /** Subscribes to every informer's changes; returns the unsubscribe function. */
  on(listener: InformerListener): () => void {
    const offs = this.informers.map((informer) => informer.on(listener));
    return () => {
      for (const off of offs) off();
    };
  }

  /** Hands a write's answer to the informer of its namespace (false when outside the group). */
  recordWrite(obj: KubeObject, options: { basedOn?: string } = {}): boolean {
    return this.informerOf(obj)?.recordWrite(obj, options) ?? false;
  }

  /** Hands a delete's answer to the informer of its namespace (false when outside the group). */
  recordDelete(obj: KubeObject): boolean {
    return this.informerOf(obj)?.recordDelete(obj) ?? false;
  }

  private informerOf(obj: KubeObject): Informer | undefined {
    if (this.byNamespace.size === 0) return this.informers[0];
    const namespace = obj.metadata?.namespace;
    return namespace === undefined ? undefined : this.byNamespace.get(namespace);
  }
}

/** Reads several per-namespace caches as one. */
class GroupReader implements CacheReader {
  constructor(
    private readonly informers: readonly Informer[],
    private readonly byNamespace: ReadonlyMap<string, Informer>,
  ) {}

  get size(): number {
    return this.informers.reduce((sum, informer) => sum + informer.store.size, 0);
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return namespace === undefined ? undefined : this.byNamespace.get(namespace)?.store.get(namespace, name);
  }

  getByKey(key: string): KubeObject | undefined {
    const slash = key.indexOf("/");
    if (slash < 0) return undefined;
    return this.byNamespace.get(key.slice(0, slash))?.store.getByKey(key);
  }

  list(): KubeObject[] {
    return this.informers.flatMap((informer) => informer.store.list());
  }

  keys(): string[] {
    return this.informers.flatMap((informer) => informer.store.keys());
  }

  byLabel(labelKey: string, value: string): KubeObject[] {
    return this.informers.flatMap((informer) => informer.store.byLabel(labelKey, value));
  }
}
