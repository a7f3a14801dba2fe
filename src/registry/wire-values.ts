/**
 * Helpers that turn JavaScript values into wire JSON values: no `undefined` keys, timestamps in
 * the API's RFC 3339 form. Pure and copying: inputs are never mutated.
 */

/** true for `{...}` literals and `Object.create(null)` objects (wire JSON), false for class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A `Date` as the API writes `metav1.Time`: `2024-05-01T10:00:00Z` (no milliseconds when they are
 * zero, so that wire -> instance -> wire is the identity), otherwise with milliseconds.
 */
export function formatKubeTime(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * Deep copy into wire JSON: drops `undefined` object keys (as JSON.stringify does), formats
 * `Date`s with {@link formatKubeTime}, turns `undefined` array items into null, and converts
 * nested class instances through `convertInstance` when given (else copies their own keys).
 */
export function toWireValue(value: unknown, convertInstance?: (instance: object) => unknown): unknown {
  if (value === null || typeof value !== "object") {
    return typeof value === "function" || typeof value === "symbol" ? undefined : value;
  }
  if (value instanceof Date) return formatKubeTime(value);
  if (Array.isArray(value)) {
    return value.map((item) => {
      const v = toWireValue(item, convertInstance);
      return v === undefined ? null : v;
    });
  }
  if (convertInstance && !isPlainObject(value)) return convertInstance(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = toWireValue((value as Record<string, unknown>)[key], convertInstance);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * Replaces every `Date` in a tree by its wire string, copying only the objects on the way to a
 * `Date` (prototypes kept) and returning the input itself when it holds none. Runs before
 * client-node's serializer, whose `toISOString()` would otherwise add ".000" to every timestamp.
 */
export function formatDatesIn<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return formatKubeTime(value) as unknown as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const v = formatDatesIn(item);
      if (v !== item) (copy ??= value.slice())[i] = v;
    });
    return (copy ?? value) as unknown as T;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const v = formatDatesIn(item);
    if (v !== item) (copy ??= Object.assign(Object.create(Object.getPrototypeOf(value)), value))[key] = v;
  }
  return (copy ?? value) as T;
}
