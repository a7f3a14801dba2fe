/**
 * A user-facing index over one cache: for every cached object, the keys a function gives it, and
 * the objects under a key (Kopf's indexes, client-go's `Indexer`). Fed by the informer's events,
 * read through the cache it indexes, so a lookup never returns an object the cache no longer
 * holds. Pure apart from the function it calls; unit-tested without a server.
 *
 * Guarantees: after every event, `lookup(key)` holds exactly the cached objects whose keys include
 * `key`; a key function that throws gives the object no keys (reported through `onError`).
 */
import { objectKey, type CacheReader, type StoreEvent } from "./object-store.js";
import type { KubeObject } from "../core/kube-object.js";

/** An index: index key -> store keys of the objects with that key. */
export class ObjectIndex {
  private readonly objectsByKey = new Map<string, Set<string>>();
  private readonly keysByObject = new Map<string, readonly string[]>();

  constructor(
    /** The index's name (for errors and logs). */
    readonly name: string,
    private readonly keys: (obj: KubeObject) => readonly string[],
    private readonly onError?: (error: unknown, obj: KubeObject) => void,
  ) {}

  /** Follows one change of the indexed cache. */
  apply(event: StoreEvent): void {
    const storeKey = objectKey(event.object.metadata?.namespace, event.object.metadata?.name ?? "");
    for (const k of this.keysByObject.get(storeKey) ?? []) {
      const set = this.objectsByKey.get(k);
      set?.delete(storeKey);
      if (set?.size === 0) this.objectsByKey.delete(k);
    }
    this.keysByObject.delete(storeKey);
    if (event.type === "DELETED") return;
    let keys: readonly string[];
    try {
      keys = [...new Set(this.keys(event.object))];
    } catch (error) {
      this.onError?.(error, event.object);
      return;
    }
    if (keys.length === 0) return;
    this.keysByObject.set(storeKey, keys);
    for (const k of keys) {
      let set = this.objectsByKey.get(k);
      if (!set) this.objectsByKey.set(k, (set = new Set()));
      set.add(storeKey);
    }
  }

  /** The cached objects with `key` (within `namespace` when given), from `cache`. */
  lookup(cache: CacheReader, key: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const storeKey of this.objectsByKey.get(key) ?? []) {
      const obj = cache.getByKey(storeKey);
      if (!obj) continue;
      if (namespace !== undefined && obj.metadata?.namespace !== namespace) continue;
      out.push(obj);
    }
    return out;
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.objectsByKey.size;
  }
}
