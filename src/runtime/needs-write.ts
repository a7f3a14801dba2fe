import type { KubeObject } from "../kube/types.js";

/**
 * Deciding whether a desired object must be written, from the cache alone.
 *
 * A no-op sync must make zero write requests (re-applying an identical object is still a PATCH
 * the apiserver has to process). The test is: the desired object is a *subset* of what the cluster
 * holds (the server adds defaults, status and metadata, so equality would never hold), and no field
 * that our field manager owns has been dropped from the desired object (a subset test alone would
 * never notice a removed label, and server-side apply removes such a field only when we send).
 */
export function needsWrite(desired: KubeObject, existing: KubeObject, fieldManager: string): boolean {
  if (!isSubset(withoutStatus(desired), existing)) return true;
  return ownedFieldRemoved(desired, existing, fieldManager);
}

/** Children are written without status: status belongs to the child's own controller. */
function withoutStatus(obj: KubeObject): KubeObject {
  if (!("status" in obj)) return obj;
  const { status: _status, ...rest } = obj;
  return rest;
}

/**
 * True when every value in `desired` is present and equal in `actual`, recursively.
 * - `undefined` in desired means "not mentioned" and always matches;
 * - `null` in desired matches only an absent or null value (null removes a field in an apply);
 * - an empty object or array in desired also matches an absent value (the API server drops
 *   empty `omitempty` maps and lists, so `data: {}` is stored as no `data` at all);
 * - arrays match when they have the same length and match element by element (order matters:
 *   the server keeps list order, and a removed element must be noticed).
 */
export function isSubset(desired: unknown, actual: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null) return actual === null || actual === undefined;
  if (Array.isArray(desired)) {
    if (actual === undefined || actual === null) return desired.length === 0;
    if (!Array.isArray(actual) || actual.length !== desired.length) return false;
    for (let i = 0; i < desired.length; i++) if (!isSubset(desired[i], actual[i])) return false;
    return true;
  }
  if (typeof desired === "object") {
    if (actual === undefined || actual === null) return isEmptyObject(desired as Record<string, unknown>);
    if (typeof actual !== "object" || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(desired as Record<string, unknown>)) {
      if (!isSubset(value, a[key])) return false;
    }
    return true;
  }
  return desired === actual || numericEqual(desired, actual);
}

function isEmptyObject(obj: Record<string, unknown>): boolean {
  for (const value of Object.values(obj)) if (value !== undefined) return false;
  return true;
}

/** `port: 80` sent as a string-typed int (IntOrString) comes back as a number, and vice versa. */
function numericEqual(a: unknown, b: unknown): boolean {
  return (typeof a === "number" && typeof b === "string" && String(a) === b) ||
    (typeof a === "string" && typeof b === "number" && a === String(b));
}

/**
 * True when a field that `fieldManager` owns in `existing` (per its managedFields, main resource
 * only) is missing from `desired`. Only map keys (`f:<name>`) are checked; list items (`k:`, `v:`,
 * `i:`) are covered by the subset test's length comparison.
 */
export function ownedFieldRemoved(
  desired: KubeObject,
  existing: KubeObject,
  fieldManager: string,
  subresource?: "status",
): boolean {
  for (const entry of existing.metadata?.managedFields ?? []) {
    if (entry.manager !== fieldManager || (entry.subresource || undefined) !== subresource || !entry.fieldsV1) continue;
    if (fieldsMissing(entry.fieldsV1, desired, subresource === undefined)) return true;
  }
  return false;
}

function fieldsMissing(fields: Record<string, unknown>, desired: unknown, skipStatus: boolean): boolean {
  if (desired === null || typeof desired !== "object" || Array.isArray(desired)) return false;
  const obj = desired as Record<string, unknown>;
  for (const [key, sub] of Object.entries(fields)) {
    if (!key.startsWith("f:")) continue;
    const name = key.slice(2);
    if (skipStatus && name === "status") continue;
    const value = obj[name];
    if (value === undefined) return true;
    if (sub && typeof sub === "object" && Object.keys(sub).length > 0 && fieldsMissing(sub as Record<string, unknown>, value, false)) {
      return true;
    }
  }
  return false;
}
