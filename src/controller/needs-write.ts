/**
 * The no-op test: whether a desired object must be written, decided from the cache alone. Owns
 * the zero-write guarantee of a sync that changes nothing (see `needsWrite`).
 */
import type { KubeObject, ManagedFieldsEntry } from "../core/kube-object.js";
import { deepEqual } from "../core/deep-equal.js";
import { deepFreeze } from "../core/deep-freeze.js";

/**
 * Deciding whether a desired object must be written, from the cache alone.
 *
 * A no-op sync must make zero write requests (re-applying an identical object is still a PATCH
 * the apiserver has to process). The test is: the desired object is a *subset* of what the cluster
 * holds (the server adds defaults, status and metadata, so equality would never hold), and no field
 * that our field manager owns has been dropped from the desired object (a subset test alone would
 * never notice a removed label, and server-side apply removes such a field only when we send).
 *
 * Lists need the field manager's record (`managedFields`) too. Admission and other controllers add
 * items to associative lists (a service-account token volume, default tolerations, a sidecar),
 * so for lists our manager owns item by item (`k:`/`v:` entries) the desired items need only appear
 * in order among the actual ones, and an item we own but no longer desire means a write. Atomic
 * lists (`args`, and every list we hold no item entries for) must match exactly.
 */
export function needsWrite(desired: KubeObject, existing: KubeObject, fieldManager: string): boolean {
  const fields = ownedFields(existing, fieldManager);
  if (!isSubset(withoutStatus(desired), existing, fields)) return true;
  return ownedFieldsMissing(fields, desired);
}

/** A node of a `fieldsV1` tree: `f:<field>`, `k:<json key>`, `v:<json value>`, `i:<index>`, `.`. */
export type FieldsNode = { [key: string]: FieldsNode };

/** Our manager's fieldsV1 for the main resource (or a subresource), merged over its entries. */
export function ownedFields(existing: KubeObject, fieldManager: string, subresource?: "status"): FieldsNode | undefined {
  let merged: FieldsNode | undefined;
  for (const entry of existing.metadata?.managedFields ?? []) {
    if (!isOurs(entry, fieldManager, subresource)) continue;
    const fields = typeof entry.fieldsV1 === "string" ? parsedFields(entry.fieldsV1) : (entry.fieldsV1 as FieldsNode);
    if (fields) merged = mergeFields(merged ?? {}, fields);
  }
  return merged;
}

/**
 * Only server-side apply entries say which fields we *want*: an "Update" entry (from a create or
 * replace) also lists every field the server defaulted, so reading it would see "removed" fields
 * on every sync. Children written by create/replace (Replace, Recreate, OnDelete) are therefore
 * compared by the subset test alone.
 */
function isOurs(entry: ManagedFieldsEntry, fieldManager: string, subresource: string | undefined): boolean {
  return (
    entry.manager === fieldManager &&
    entry.operation === "Apply" &&
    (entry.subresource || undefined) === subresource &&
    entry.fieldsV1 !== undefined
  );
}

/**
 * Parsed fieldsV1 strings (caches keep them as strings: informer-pool.ts), shared by equal texts.
 * Every no-op check parses its objects' texts, and a text that repeats (a status text, the same for
 * every parent of a kind; a child's, when its parent is checked again soon) is looked up in a
 * bounded table instead. The trees are shared, so they are frozen (mergeFields copies what it changes).
 *
 * A text is kept on its second sighting, not its first: a child's text is unique (its owner
 * reference carries its parent's uid), and a start over a backlog checks most children once (the
 * sync after their creation). Keeping every first sighting froze trees nobody asked for again
 * (W1b profile: 23 ms of CPU at 1,000 parents before; 1 ms at 10,000 after) and flushed the table every 512
 * texts, so the texts that do repeat (status texts, shared by every parent of a kind) were rarely
 * found in it. A tree parsed at a first sighting is its caller's own: nothing to freeze.
 */
const parsedFieldsTable = new Map<string, FieldsNode | undefined>();
/** Texts parsed once and not kept (yet): at most 512 strings (of up to 4 KiB) kept alive. */
const seenOnce = new Set<string>();
const PARSED_FIELDS_CAPACITY = 512;
/** Longer texts are parsed each time: 512 texts of up to 4 KiB, a few MB of trees at most. */
const PARSED_FIELDS_MAX_LENGTH = 4096;

function parsedFields(text: string): FieldsNode | undefined {
  if (parsedFieldsTable.has(text)) return parsedFieldsTable.get(text);
  const fields = parseJson(text) as FieldsNode | undefined;
  if (text.length > PARSED_FIELDS_MAX_LENGTH) return fields;
  // Both tables start over when full: texts that do not repeat pass through without piling up.
  if (!seenOnce.has(text)) {
    if (seenOnce.size >= PARSED_FIELDS_CAPACITY) seenOnce.clear();
    seenOnce.add(text);
    return fields;
  }
  seenOnce.delete(text);
  deepFreeze(fields);
  if (parsedFieldsTable.size >= PARSED_FIELDS_CAPACITY) parsedFieldsTable.clear();
  parsedFieldsTable.set(text, fields);
  return fields;
}

function mergeFields(a: FieldsNode, b: FieldsNode): FieldsNode {
  const out: FieldsNode = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = key in out ? mergeFields(out[key]!, value) : value;
  return out;
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
 * - a list matches element by element with the same length; but when `fields` (our manager's
 *   fieldsV1 at this point) holds item entries for it, the desired items need only appear in order
 *   among the actual ones (see the module comment).
 */
export function isSubset(desired: unknown, actual: unknown, fields?: FieldsNode): boolean {
  if (desired === undefined) return true;
  if (desired === null) return actual === null || actual === undefined;
  if (Array.isArray(desired)) {
    if (actual === undefined || actual === null) return desired.length === 0;
    if (!Array.isArray(actual)) return false;
    if (fields && hasItemEntries(fields)) return isOrderedSubset(desired, actual, fields);
    if (actual.length !== desired.length) return false;
    for (let i = 0; i < desired.length; i++) if (!isSubset(desired[i], actual[i])) return false;
    return true;
  }
  if (typeof desired === "object") {
    if (actual === undefined || actual === null) return isEmptyObject(desired as Record<string, unknown>);
    if (typeof actual !== "object" || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(desired as Record<string, unknown>)) {
      if (!isSubset(value, a[key], fields?.[`f:${key}`])) return false;
    }
    return true;
  }
  return desired === actual || numericEqual(desired, actual);
}

/** Each desired item matches a later actual item than the one before (extra actual items allowed). */
function isOrderedSubset(desired: unknown[], actual: unknown[], fields: FieldsNode): boolean {
  let j = 0;
  for (const item of desired) {
    const itemFields = itemEntryFor(fields, item);
    while (j < actual.length && !isSubset(item, actual[j], itemFields)) j++;
    if (j === actual.length) return false;
    j++;
  }
  return true;
}

function hasItemEntries(fields: FieldsNode): boolean {
  for (const key of Object.keys(fields)) if (key.startsWith("k:") || key.startsWith("v:")) return true;
  return false;
}

/** The `k:`/`v:` entry of a list that names `item`, if any. */
function itemEntryFor(fields: FieldsNode, item: unknown): FieldsNode | undefined {
  for (const [key, node] of Object.entries(fields)) {
    if (itemMatchesEntry(key, item)) return node;
  }
  return undefined;
}

function itemMatchesEntry(key: string, item: unknown): boolean {
  if (key.startsWith("v:")) return deepEqual(parseJson(key.slice(2)), item);
  if (!key.startsWith("k:") || item === null || typeof item !== "object") return false;
  const keyFields = parseJson(key.slice(2));
  if (keyFields === null || typeof keyFields !== "object") return false;
  const obj = item as Record<string, unknown>;
  // A key field the desired item leaves out was defaulted by the server (a port's protocol: TCP).
  return Object.entries(keyFields as Record<string, unknown>).every(
    ([k, v]) => obj[k] === undefined || obj[k] === v || numericEqual(obj[k], v),
  );
}

function isEmptyObject(obj: Record<string, unknown>): boolean {
  for (const value of Object.values(obj)) if (value !== undefined) return false;
  return true;
}

/** `port: 80` sent as a string-typed int (IntOrString) comes back as a number, and vice versa. */
function numericEqual(a: unknown, b: unknown): boolean {
  return (
    (typeof a === "number" && typeof b === "string" && String(a) === b) ||
    (typeof a === "string" && typeof b === "number" && a === String(b))
  );
}

/**
 * True when a field that `fieldManager` owns in `existing` (per its managedFields, main resource or
 * the given subresource) is missing from `desired`: a map key (`f:`) or a list item (`k:`, `v:`).
 */
export function ownedFieldRemoved(desired: KubeObject, existing: KubeObject, fieldManager: string, subresource?: "status"): boolean {
  return ownedFieldsMissing(ownedFields(existing, fieldManager, subresource), desired, subresource);
}

/** `ownedFieldRemoved` for fields already read with `ownedFields` (read them once per check). */
export function ownedFieldsMissing(fields: FieldsNode | undefined, desired: KubeObject, subresource?: "status"): boolean {
  return fields !== undefined && fieldsMissing(fields, desired, subresource === undefined);
}

function fieldsMissing(fields: FieldsNode, desired: unknown, skipStatus: boolean): boolean {
  if (Array.isArray(desired)) {
    for (const [key, node] of Object.entries(fields)) {
      if (!key.startsWith("k:") && !key.startsWith("v:")) continue;
      const item = desired.find((d) => itemMatchesEntry(key, d));
      if (item === undefined) return true;
      if (key.startsWith("k:") && fieldsMissing(node, item, false)) return true;
    }
    return false;
  }
  if (desired === null || typeof desired !== "object") return false;
  const obj = desired as Record<string, unknown>;
  for (const [key, sub] of Object.entries(fields)) {
    if (!key.startsWith("f:")) continue;
    const name = key.slice(2);
    if (skipStatus && name === "status") continue;
    const value = obj[name];
    if (value === undefined) return true;
    if (Object.keys(sub).length > 0 && fieldsMissing(sub, value, false)) return true;
  }
  return false;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
