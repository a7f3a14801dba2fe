/**
 * Shares equal short strings between cached objects. `JSON.parse` gives every object its own copy
 * of every string value: 40,000 cached children each hold their namespace, `apiVersion`, `kind`,
 * field manager, `Apply`, the owner's apiVersion and kind, the parent's uid (label value and
 * ownerReference), creation timestamps of a bulk create, `ClusterIP`, `TCP` ... Replacing a string
 * by an equal one already held is invisible to JavaScript (strings are immutable values; `===`
 * compares contents), so the cache's objects read exactly as before; only the copies go.
 *
 * Guarantees: values are never changed, only replaced by an equal string; frozen objects are left
 * as they are; the table is bounded (`capacity` strings of at most `maxLength` characters) and
 * starts over when full, so unique values (names, uids, resourceVersions) pass through it without
 * piling up, while values that repeat are back in it after a few objects.
 */

/** See the module comment. */
export class StringInterner {
  private table = new Map<string, string>();
  /** Strings replaced by an equal one the table held (for tests and measurements). */
  hits = 0;

  constructor(
    /** Strings held at most; the table is cleared when it is full. */
    readonly capacity = 2048,
    /** Longer strings are left alone (long values rarely repeat: payloads, fieldsV1). */
    readonly maxLength = 64,
  ) {}

  /** The table's copy of `value` (added when missing). */
  intern(value: string): string {
    return this.held(value) ?? value;
  }

  /** The table's copy of `value` when it holds one; otherwise adds `value` and returns undefined. */
  private held(value: string): string | undefined {
    if (value.length > this.maxLength) return undefined;
    const copy = this.table.get(value);
    if (copy !== undefined) {
      this.hits++;
      return copy;
    }
    if (this.table.size >= this.capacity) this.table = new Map();
    this.table.set(value, value);
    return undefined;
  }

  /** Strings held now. */
  get size(): number {
    return this.table.size;
  }

  /**
   * Replaces, in place, every string value in `obj` (nested objects and arrays, not keys: V8
   * already shares property names) by the table's copy; returns `obj`. Frozen parts are skipped.
   */
  internValues<T>(obj: T): T {
    try {
      this.walk(obj);
    } catch {
      // A read-only property (not a plain JSON object): what was replaced so far is still equal.
    }
    return obj;
  }

  private walk(node: unknown): void {
    if (node === null || typeof node !== "object" || Object.isFrozen(node)) return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (typeof v === "string") {
          const copy = this.held(v);
          if (copy !== undefined) node[i] = copy;
        } else if (v !== null && typeof v === "object") this.walk(v);
      }
      return;
    }
    const rec = node as Record<string, unknown>;
    // Object.keys, not for-in: ~2x faster over JSON objects (measured: 40,000 cached children in ~0.2-0.4 s).
    const keys = Object.keys(rec);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = rec[key];
      if (typeof v === "string") {
        // An equal string (`===` compares contents): the assignment is what drops this object's copy.
        const copy = this.held(v);
        if (copy !== undefined) rec[key] = copy;
      } else if (v !== null && typeof v === "object") this.walk(v);
    }
  }
}
