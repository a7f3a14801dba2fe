/**
 * The desired child as it is hashed and written. Owns two rules, both pure:
 * - `withoutServerFields`: what the API server sets is never sent back. A handler may edit and
 *   return the child it read from `req.children`; that copy carries uid, resourceVersion,
 *   managedFields, status … which server-side apply rejects (400) and which would change the
 *   desired hash on every write (an endless write or delete/create loop).
 * - `desiredHash` / `DESIRED_HASH_ANNOTATION`: the hash of the handler's object that Replace and
 *   Recreate children carry, so that a field the handler dropped is noticed.
 */
import { createHash } from "node:crypto";
import type { KubeObject } from "../core/kube-object.js";
import { MANAGED_BY_LABEL, OPERATOR_LABEL } from "./ownership.js";

/**
 * The annotation that holds a hash of the desired object a Replace or Recreate child was last
 * written from. Those children are written by create/PUT, whose managedFields also list server
 * defaults, so the managedFields check cannot tell a field the handler dropped from one the server
 * added; the hash can (Metacontroller and Kopf keep a last-applied annotation for the same reason).
 */
export const DESIRED_HASH_ANNOTATION = "tsoperator.dev/desired-hash";

/** Metadata keys only the API server sets. */
const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
] as const;

/** A copy of `obj` without status, server-set metadata and our desired-hash annotation. */
export function withoutServerFields(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj;
  if (!rest.metadata) return rest;
  const metadata: Record<string, unknown> = { ...rest.metadata };
  for (const key of SERVER_METADATA) delete metadata[key];
  const annotations = rest.metadata.annotations;
  if (annotations && DESIRED_HASH_ANNOTATION in annotations) {
    const { [DESIRED_HASH_ANNOTATION]: _hash, ...others } = annotations;
    if (Object.keys(others).length > 0) metadata.annotations = others;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}

/**
 * The hash of a desired object (without its hash annotation and the operator label): sorted keys,
 * empty maps and lists left out, so the same object built fresh or read back from the cache and
 * returned hashes the same.
 */
export function desiredHash(desired: KubeObject): string {
  return digest(canonicalJson(hashable(desired)));
}

/**
 * Whether `written` (the annotation on the cluster's child) is the hash of `desired`. Children
 * written by earlier versions carry a hash of the object's JSON in insertion order; it is accepted
 * too, so that an upgrade recreates nothing.
 */
export function hashMatches(written: string | undefined, desired: KubeObject): boolean {
  if (written === undefined) return false;
  const subject = hashable(desired);
  return written === digest(canonicalJson(subject)) || written === digest(JSON.stringify(subject));
}

/** `desired` stamped with its hash annotation. */
export function withDesiredHash(desired: KubeObject): KubeObject {
  const metadata = desired.metadata ?? {};
  const annotations = { ...(metadata.annotations ?? {}), [DESIRED_HASH_ANNOTATION]: desiredHash(desired) };
  return { ...desired, metadata: { ...metadata, annotations } };
}

function hashable(desired: KubeObject): KubeObject {
  const metadata = desired.metadata;
  if (!metadata) return desired;
  const copy = { ...metadata };
  if (metadata.annotations && DESIRED_HASH_ANNOTATION in metadata.annotations) {
    const { [DESIRED_HASH_ANNOTATION]: _h, ...annotations } = metadata.annotations;
    copy.annotations = annotations;
  }
  // Labels the runtime stamps itself: adding one in a new version must not change the hash
  // (a Recreate child would be deleted and created again on upgrade).
  if (metadata.labels && (OPERATOR_LABEL in metadata.labels || MANAGED_BY_LABEL in metadata.labels)) {
    const { [OPERATOR_LABEL]: _o, [MANAGED_BY_LABEL]: _m, ...labels } = metadata.labels;
    copy.labels = labels;
  }
  return { ...desired, metadata: copy };
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 27);
}

/** JSON with sorted keys; undefined, empty maps and empty lists left out (the server drops them). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value) ?? null);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v) ?? null);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = canonical((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}
