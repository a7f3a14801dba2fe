/**
 * Turning arbitrary log fields into plain, serializable values.
 *
 * Why this exists: `JSON.stringify(new Error("x"))` is `{}`, and a field that is a class
 * instance, a BigInt or a circular structure either vanishes or throws. Every value that reaches
 * a log line goes through {@link normalizeFields} first, so what is written is what was meant.
 */

/** Extra structured data attached to a log record. */
export type LogFields = Record<string, unknown>;

/** Keys that the record itself owns; a field with one of these names is renamed, not lost. */
const RESERVED_KEYS = new Set(["level", "message", "time", "timestamp"]);

/** How deep nested objects are copied before they are cut off (log lines are not dumps). */
const MAX_DEPTH = 6;

/**
 * The plain form of an Error: its message and stack, plus the properties that error classes of
 * this project and of Node add (`code`, `statusCode`, `reason`), and its `cause` chain.
 */
export function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  for (const key of ["code", "statusCode", "reason", "retryAfterSeconds"]) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = normalizeValue(value, depth + 1, new WeakSet());
  }
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined && depth < MAX_DEPTH) {
    out.cause =
      error.cause instanceof Error ? serializeError(error.cause, depth + 1) : normalizeValue(error.cause, depth + 1, new WeakSet());
  }
  return out;
}

/** A JSON-safe copy of one value: Errors expanded, cycles and excessive depth cut. */
export function normalizeValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "symbol":
      return value.toString();
    case "function":
      return `[function ${value.name || "anonymous"}]`;
  }
  if (value instanceof Error) return serializeError(value, depth);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  const obj = value as object;
  if (seen.has(obj)) return "[circular]";
  if (depth >= MAX_DEPTH) return "[…]";
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((item) => normalizeValue(item, depth + 1, seen));
    if (obj instanceof Map) return Object.fromEntries([...obj].map(([k, v]) => [String(k), normalizeValue(v, depth + 1, seen)]));
    if (obj instanceof Set) return [...obj].map((item) => normalizeValue(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v !== undefined) out[k] = normalizeValue(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/**
 * Normalizes every field and renames those that would clobber the record's own keys
 * (a field named `message` becomes `message_`), dropping undefined values.
 */
export function normalizeFields(fields: LogFields | undefined): LogFields {
  const out: LogFields = {};
  if (!fields) return out;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const safeKey = RESERVED_KEYS.has(key) ? `${key}_` : key;
    out[safeKey] = normalizeValue(value);
  }
  return out;
}
