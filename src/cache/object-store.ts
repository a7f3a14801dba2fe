/**
 * The informer's cache: the latest known wire object of every watched object, keyed by
 * `namespace/name` (`name` for cluster-scoped objects), with indexes by label value.
 *
 * Guarantees:
 * - never goes back in time: an event or a write response older (by resourceVersion) than what
 *   the store holds is ignored, so a slow watch cannot overwrite a write's fresher response;
 * - `replace` after a (re)list reports what changed while the watch was down, deletions included.
 *
 * Caveats: objects are shared, not copied. They are wire JSON and must be treated as immutable by
 * everyone (the runtime hands user code deserialized copies, never these objects).
 */
import type { KubeObject } from "../core/kube-object.js";
import { compareResourceVersions, isOlderResourceVersion } from "./resource-version.js";

/** What changed in the store, as listeners see it (never BOOKMARK or ERROR). */
export interface StoreEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** The new object; for DELETED, the last state of the deleted object. */
  object: KubeObject;
  /** The object the store held before, when there was one. */
  oldObject?: KubeObject;
}

/** The store key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The store key of a wire object (see {@link objectKey}). Throws when it has no name. */
export function keyOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new TypeError(`object without metadata.name cannot be stored (kind ${obj.kind ?? "?"})`);
  return objectKey(obj.metadata?.namespace, name);
}

/** Cache of wire objects with label indexes. See the module comment for its guarantees. */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  /** labelKey -> label value -> store keys. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private listResourceVersion: string | undefined;
  /**
   * uids the watch reported deleted, with when (ms), kept for a while: a write's answer that
   * arrives after the DELETED event (a delete answered with a deletionTimestamp, say) must not put
   * back a ghost that no event would ever remove.
   */
  private readonly deletedUids = new Map<string, number>();

  /**
   * @param indexLabels label keys to index for {@link byLabel}, e.g. `tsoperator.dev/parent-uid`
   */
  constructor(indexLabels: readonly string[] = []) {
    for (const label of indexLabels) this.indexes.set(label, new Map());
  }

  /** Number of objects held. */
  get size(): number {
    return this.objects.size;
  }

  /** The resourceVersion of the last list that filled the store (undefined before the first). */
  get resourceVersion(): string | undefined {
    return this.listResourceVersion;
  }

  /** The object `namespace/name` (pass `undefined` namespace for cluster-scoped objects). */
  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(objectKey(namespace, name));
  }

  /** The object under a store key (`namespace/name` or `name`). */
  getByKey(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /** Every object, in no particular order. */
  list(): KubeObject[] {
    return [...this.objects.values()];
  }

  /** Every store key. */
  keys(): string[] {
    return [...this.objects.keys()];
  }

  /**
   * Starts indexing label `labelKey` (no-op when already indexed); existing objects are indexed
   * at once. Lets several users of one shared informer each add the label they look up by.
   */
  addIndex(labelKey: string): void {
    if (this.indexes.has(labelKey)) return;
    const index = new Map<string, Set<string>>();
    this.indexes.set(labelKey, index);
    for (const [key, obj] of this.objects) {
      const value = obj.metadata?.labels?.[labelKey];
      if (value === undefined) continue;
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  /**
   * Objects whose label `labelKey` equals `value`. `labelKey` must be one of the constructor's
   * `indexLabels` (a full scan would hide a missing index until the cache is large).
   */
  byLabel(labelKey: string, value: string): KubeObject[] {
    const index = this.indexes.get(labelKey);
    if (!index) throw new Error(`label "${labelKey}" is not indexed; pass it in indexLabels`);
    const keys = index.get(value);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const key of keys) {
      const obj = this.objects.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /**
   * Replaces the whole content with a list's items and returns the difference as events:
   * ADDED for new objects, MODIFIED for objects whose resourceVersion changed, DELETED for
   * objects that vanished — so listeners learn about deletions that happened while the watch
   * was down.
   *
   * An object the store holds at a resourceVersion newer than the list (put there by a write
   * response after the list was served) is kept as it is, and it is not deleted when missing
   * from the list if it is newer than `listResourceVersion`.
   */
  replace(items: readonly KubeObject[], listResourceVersion: string): StoreEvent[] {
    const events: StoreEvent[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const old = this.objects.get(key);
      if (!old) {
        this.set(key, item, undefined);
        events.push({ type: "ADDED", object: item });
        continue;
      }
      const oldRv = old.metadata?.resourceVersion;
      const newRv = item.metadata?.resourceVersion;
      if (oldRv === newRv && old.metadata?.uid === item.metadata?.uid) continue;
      if (isOlderResourceVersion(newRv, oldRv)) continue;
      this.set(key, item, old);
      events.push({ type: "MODIFIED", object: item, oldObject: old });
    }
    for (const [key, old] of [...this.objects]) {
      if (seen.has(key)) continue;
      const order = compareResourceVersions(old.metadata?.resourceVersion, listResourceVersion);
      if (order !== undefined && order > 0) continue;
      this.remove(key, old);
      events.push({ type: "DELETED", object: old, oldObject: old });
    }
    this.listResourceVersion = listResourceVersion;
    return events;
  }

  /**
   * Applies one watch event. Returns the event listeners should see, or `undefined` when it was
   * ignored because the store holds a newer version of that object.
   * BOOKMARK and ERROR events carry no object change and are always ignored.
   */
  apply(event: { type: string; object: KubeObject }): StoreEvent | undefined {
    if (event.type !== "ADDED" && event.type !== "MODIFIED" && event.type !== "DELETED") return undefined;
    const obj = event.object;
    const key = keyOf(obj);
    const old = this.objects.get(key);
    if (old && isOlderResourceVersion(obj.metadata?.resourceVersion, old.metadata?.resourceVersion)) return undefined;
    if (event.type === "DELETED") {
      if (old) this.remove(key, old);
      this.rememberDeleted(obj.metadata?.uid);
      return old ? { type: "DELETED", object: obj, oldObject: old } : { type: "DELETED", object: obj };
    }
    this.set(key, obj, old);
    return old ? { type: event.type, object: obj, oldObject: old } : { type: event.type, object: obj };
  }

  /**
   * Stores the response of a create/update/patch/apply: it is the newest state the server knows,
   * so holding it stops a sync triggered before its watch event from writing the same thing
   * again. Stored only when absent or newer than what the store holds. Returns whether stored.
   * Listeners are not told: the watch event of that write will come and be dispatched.
   */
  upsertFromWrite(obj: KubeObject): boolean {
    const uid = obj.metadata?.uid;
    if (uid !== undefined && this.deletedUids.has(uid)) return false;
    const key = keyOf(obj);
    const old = this.objects.get(key);
    if (old) {
      const order = compareResourceVersions(obj.metadata?.resourceVersion, old.metadata?.resourceVersion);
      // Unordered versions: accept, like apply() does (never keep possibly stale data forever).
      if (order !== undefined && order <= 0) return false;
    }
    this.set(key, obj, old);
    return true;
  }

  /**
   * Removes an object after a successful delete. With `resourceVersion` (the version the delete
   * acted on), an object the store holds at a newer version — recreated meanwhile — is kept.
   * Returns whether something was removed.
   */
  removeFromWrite(namespace: string | undefined, name: string, resourceVersion?: string): boolean {
    const key = objectKey(namespace, name);
    const old = this.objects.get(key);
    if (!old) return false;
    const order = compareResourceVersions(old.metadata?.resourceVersion, resourceVersion);
    if (order !== undefined && order > 0) return false;
    this.remove(key, old);
    return true;
  }

  private set(key: string, obj: KubeObject, old: KubeObject | undefined): void {
    if (old) this.unindex(key, old);
    this.objects.set(key, obj);
    this.index(key, obj);
  }

  private remove(key: string, old: KubeObject): void {
    this.unindex(key, old);
    this.objects.delete(key);
    this.rememberDeleted(old.metadata?.uid);
  }

  /** Tombstones live this long; a write's answer is never older than that. */
  private static readonly TOMBSTONE_MS = 5 * 60_000;

  private rememberDeleted(uid: string | undefined): void {
    if (uid === undefined) return;
    const now = Date.now();
    this.deletedUids.set(uid, now);
    // Insertion order is age order: drop expired tombstones from the front.
    for (const [oldUid, at] of this.deletedUids) {
      if (now - at < ObjectStore.TOMBSTONE_MS) break;
      this.deletedUids.delete(oldUid);
    }
  }

  private index(key: string, obj: KubeObject): void {
    const labels = obj.metadata?.labels;
    if (!labels) return;
    for (const [label, index] of this.indexes) {
      const value = labels[label];
      if (value === undefined) continue;
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, obj: KubeObject): void {
    const labels = obj.metadata?.labels;
    if (!labels) return;
    for (const [label, index] of this.indexes) {
      const value = labels[label];
      if (value === undefined) continue;
      const keys = index.get(value);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) index.delete(value);
    }
  }
}
