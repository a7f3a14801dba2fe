/**
 * The informer's cache: the latest known wire object of every watched object, keyed by
 * `namespace/name` (`name` for cluster-scoped objects), with indexes by label value.
 *
 * It keeps two views of each object:
 * - the *current* object, what readers get: the newest state known, from the watch, a list, or the
 *   answer of our own write (a write's answer is newer than the watch has told yet; holding it stops
 *   a sync triggered before its watch event from writing the same thing again);
 * - the *observed* object, what listeners were last told about: fed by watch events and lists only.
 *
 * Guarantees:
 * - readers never go back in time: an event or a write answer older (by resourceVersion) than the
 *   current object does not replace it;
 * - a write answer never hides a watch event from listeners: every event is compared with what the
 *   listeners last saw, not with the current object. (A status write without precondition answers
 *   with a spec change that landed meanwhile; had the answer been the comparison base, the spec
 *   change's own event would read as stale and the next as "only status changed", and the new
 *   generation would never be synced — issue 9 item 1.) Events older than what listeners saw are
 *   dropped;
 * - `replace` after a (re)list reports what changed while the watch was down, deletions included,
 *   again measured against what listeners saw;
 * - an object the watch reported deleted is never brought back by a late write answer (tombstones by
 *   uid, aged on a monotonic clock).
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
  /**
   * Set on the events of an informer's first list (everything that existed when it started): no
   * one just changed these, so the work queue puts them behind live changes.
   */
  initialList?: true;
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

/**
 * A read-only view of a cache: what every user of an informer gets. Only the informer writes
 * (watch events, lists, and `Informer.recordWrite` / `recordDelete`).
 */
export interface CacheReader {
  /** Number of objects held. */
  readonly size: number;
  /** The object `namespace/name` (pass `undefined` namespace for cluster-scoped objects). */
  get(namespace: string | undefined, name: string): KubeObject | undefined;
  /** The object under a store key (`namespace/name` or `name`). */
  getByKey(key: string): KubeObject | undefined;
  /** Every object, in no particular order. */
  list(): KubeObject[];
  /** Every store key. */
  keys(): string[];
  /** Objects whose indexed label `labelKey` equals `value` (throws when the label is not indexed). */
  byLabel(labelKey: string, value: string): KubeObject[];
}

/** A monotonic clock in milliseconds (a wall-clock step must not age or revive tombstones). */
export type MonotonicClock = () => number;

/** Cache of wire objects with label indexes. See the module comment for its guarantees. */
export class ObjectStore implements CacheReader {
  /** The current objects: what readers see (indexed). */
  private readonly objects = new Map<string, KubeObject>();
  /** The objects as listeners last saw them (watch events and lists only, never write answers). */
  private readonly observed = new Map<string, KubeObject>();
  /** labelKey -> label value -> store keys. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private listResourceVersion: string | undefined;
  /**
   * uids the watch reported deleted, with when (monotonic ms), kept for a while: a write's answer
   * that arrives after the DELETED event (a delete answered with a deletionTimestamp, say) must not
   * put back a ghost that no event would ever remove.
   */
  private readonly deletedUids = new Map<string, number>();

  /**
   * @param indexLabels label keys to index for {@link byLabel}, e.g. `tsoperator.dev/parent-uid`
   * @param now the clock tombstones age on; monotonic (`performance.now()`) by default
   */
  constructor(
    indexLabels: readonly string[] = [],
    private readonly now: MonotonicClock = () => performance.now(),
  ) {
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
   * Replaces the whole content with a list's items and returns the difference with what listeners
   * last saw, as events: ADDED for objects they never saw, MODIFIED for objects whose
   * resourceVersion changed, DELETED for objects that vanished — so listeners learn about what
   * happened while the watch was down, deletions included.
   *
   * A current object newer than the list item (a write answer that arrived after the list was
   * served) is kept, and one missing from the list is not deleted when it is newer than
   * `listResourceVersion`.
   */
  replace(items: readonly KubeObject[], listResourceVersion: string): StoreEvent[] {
    const events: StoreEvent[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      this.setCurrentUnlessNewer(key, item);
      const seenBefore = this.observed.get(key);
      if (!seenBefore) {
        this.observed.set(key, item);
        events.push({ type: "ADDED", object: item });
        continue;
      }
      if (sameVersion(seenBefore, item)) continue;
      if (isOlderResourceVersion(item.metadata?.resourceVersion, seenBefore.metadata?.resourceVersion)) continue;
      this.observed.set(key, item);
      events.push({ type: "MODIFIED", object: item, oldObject: seenBefore });
    }
    const missing = new Set([...this.objects.keys(), ...this.observed.keys()].filter((key) => !seen.has(key)));
    for (const key of missing) {
      const current = this.objects.get(key);
      const seenBefore = this.observed.get(key);
      let removed: KubeObject | undefined;
      if (current && !isNewerThan(current, listResourceVersion)) {
        this.remove(key, current);
        removed = current;
      }
      if (seenBefore && !isNewerThan(seenBefore, listResourceVersion)) {
        this.observed.delete(key);
        removed = seenBefore;
      }
      if (removed) events.push({ type: "DELETED", object: removed, oldObject: removed });
    }
    this.listResourceVersion = listResourceVersion;
    return events;
  }

  /**
   * Applies one watch event. Returns the event listeners should see (its `oldObject` is what they
   * saw before), or `undefined` when it is older than what they saw. BOOKMARK and ERROR events
   * carry no object change and are always ignored.
   */
  apply(event: { type: string; object: KubeObject }): StoreEvent | undefined {
    if (event.type !== "ADDED" && event.type !== "MODIFIED" && event.type !== "DELETED") return undefined;
    const obj = event.object;
    const key = keyOf(obj);
    const seenBefore = this.observed.get(key);
    if (seenBefore && isOlderResourceVersion(obj.metadata?.resourceVersion, seenBefore.metadata?.resourceVersion)) return undefined;
    if (event.type === "DELETED") {
      this.observed.delete(key);
      const current = this.objects.get(key);
      // A current object newer than the delete (re-created, and our write answered first) stays.
      if (current && !isOlderResourceVersion(obj.metadata?.resourceVersion, current.metadata?.resourceVersion)) this.remove(key, current);
      this.rememberDeleted(obj.metadata?.uid);
      return seenBefore ? { type: "DELETED", object: obj, oldObject: seenBefore } : { type: "DELETED", object: obj };
    }
    this.observed.set(key, obj);
    this.setCurrentUnlessNewer(key, obj);
    return seenBefore ? { type: event.type, object: obj, oldObject: seenBefore } : { type: event.type, object: obj };
  }

  /**
   * Stores the answer of a create/update/patch/apply as the current object: it is the newest state
   * the server knows, so holding it stops a sync triggered before its watch event from writing the
   * same thing again. Stored only when absent or newer than the current object, and never for an
   * object the watch reported deleted. Returns whether stored. Listeners are not told, and what
   * they last saw is unchanged: the watch events up to this write will come and be dispatched.
   *
   * `basedOn`: the resourceVersion the write was guarded by (a precondition). Such an answer is the
   * guarded state plus our own change and hides nothing; when listeners last saw exactly that
   * guarded state, it also becomes what they are compared against, so the write's own event does
   * not read as a change (the runtime hands that answer to the handler itself).
   */
  upsertFromWrite(obj: KubeObject, basedOn?: string): boolean {
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
    const seenBefore = this.observed.get(key);
    if (basedOn !== undefined && seenBefore && sameUid(seenBefore, obj) && seenBefore.metadata?.resourceVersion === basedOn) {
      this.observed.set(key, obj);
    }
    return true;
  }

  /**
   * Removes the current object after a successful delete. With `resourceVersion` (the version the
   * delete acted on), an object the store holds at a newer version — recreated meanwhile — is kept.
   * Listeners are not told (the watch's DELETED event will be). Returns whether something was removed.
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

  /** Makes `obj` the current object unless the store holds a newer one (or the very same version). */
  private setCurrentUnlessNewer(key: string, obj: KubeObject): void {
    const old = this.objects.get(key);
    if (old && (old === obj || isOlderResourceVersion(obj.metadata?.resourceVersion, old.metadata?.resourceVersion))) return;
    this.set(key, obj, old);
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
    const now = this.now();
    this.deletedUids.delete(uid); // re-inserted at the end: insertion order stays age order
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

function sameUid(a: KubeObject, b: KubeObject): boolean {
  return a.metadata?.uid === b.metadata?.uid;
}

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  return a.metadata?.resourceVersion === b.metadata?.resourceVersion && a.metadata?.uid === b.metadata?.uid;
}

/** True only when `obj`'s resourceVersion is ordered after `resourceVersion`. */
function isNewerThan(obj: KubeObject, resourceVersion: string): boolean {
  const order = compareResourceVersions(obj.metadata?.resourceVersion, resourceVersion);
  return order !== undefined && order > 0;
}
