/**
 * The JSON patch (RFC 6902) from the object a mutating webhook received to the object its handler
 * returned: what the API server applies. Pure. Like controller-runtime's `PatchResponseFromRaw`
 * (gomodules jsonpatch), it touches only what changed: nested objects are compared key by key,
 * arrays of equal length item by item; an array whose length changed is replaced whole (simple
 * and always right; the API server applies the ops in order).
 */

/** One JSON patch operation. */
export type JsonPatchOperation =
  | { op: "add"; path: string; value: unknown }
  | { op: "replace"; path: string; value: unknown }
  | { op: "remove"; path: string };

/** A JSON pointer segment with `~` and `/` escaped (RFC 6901). */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    return keysA.length === keysB.length && keysA.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return false;
}

/**
 * The operations that turn `before` into `after` (both wire JSON). Keys whose value is `undefined`
 * count as absent (what `JSON.stringify` would send). Empty when nothing changed.
 */
export function jsonPatchOf(before: unknown, after: unknown, path = ""): JsonPatchOperation[] {
  if (sameJson(before, after)) return [];
  if (isPlainObject(before) && isPlainObject(after)) {
    const ops: JsonPatchOperation[] = [];
    for (const key of Object.keys(before)) {
      if (before[key] === undefined) continue;
      if (after[key] === undefined) ops.push({ op: "remove", path: `${path}/${escapePointerSegment(key)}` });
    }
    for (const key of Object.keys(after)) {
      const value = after[key];
      if (value === undefined) continue;
      const child = `${path}/${escapePointerSegment(key)}`;
      if (before[key] === undefined) ops.push({ op: "add", path: child, value: toJson(value) });
      else ops.push(...jsonPatchOf(before[key], value, child));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => jsonPatchOf(item, after[i], `${path}/${i}`));
  }
  // The root itself replaced by something of another shape: "replace" at "" is valid RFC 6902.
  return [{ op: "replace", path, value: toJson(after) }];
}

/** A JSON-safe copy (drops `undefined`, turns class instances and Dates into their JSON form). */
function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
