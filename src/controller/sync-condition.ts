/**
 * The outcome of the last sync on the parent itself: one condition (type `Synced` by default) in
 * `status.conditions`, in the shape of Kubernetes' `metav1.Condition` (type, status, reason,
 * message, observedGeneration, lastTransitionTime). Pure: the reconciler decides the verdict and
 * writes the status; this module builds the condition and the status it goes into.
 *
 * Guarantees:
 * - `lastTransitionTime` changes only when `status` flips (True <-> False); otherwise the cached
 *   condition's time is kept, so a sync that ends as the last one did builds an identical status
 *   and the status writer sends nothing (a no-op sync and a retry failing with the same message
 *   stay zero-write);
 * - the condition's `observedGeneration` is the generation the sync worked on, True or False: it
 *   says which generation failed. The status's own `observedGeneration` is the reconciler's
 *   business (never advanced by a failure);
 * - conditions of other types (the handler's own) are kept as the handler returned them; one of
 *   the framework's type returned by the handler is replaced.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { FieldsNode } from "./needs-write.js";

/** A condition in wire form (`metav1.Condition`). */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** How the sync ended: success, or a failure with the reason and message its Event carries. */
export type SyncVerdict = { ok: true } | { ok: false; reason: string; message: string };

/** The reason of a True condition. */
export const SYNC_SUCCEEDED_REASON = "SyncSucceeded";
/** The message of a True condition (fixed, so that success after success writes nothing). */
export const SYNC_SUCCEEDED_MESSAGE = "The last sync wrote every child and the status.";
/** Longer messages are cut: a status is read by people and `kubectl`, not a log. */
export const MAX_CONDITION_MESSAGE = 1024;

/** The conditions of a status, when it has a list of them. */
export function conditionsOf(status: unknown): Condition[] {
  const list = (status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(list) ? (list as Condition[]) : [];
}

/** The condition of `type` that `verdict` leads to on `parent`, keeping its transition time when the status did not flip. */
export function syncCondition(type: string, parent: KubeObject, verdict: SyncVerdict, now: Date): Condition {
  const status = verdict.ok ? "True" : "False";
  const previous = conditionsOf(parent.status).find((c) => c?.type === type);
  const lastTransitionTime =
    previous?.status === status && typeof previous.lastTransitionTime === "string" ? previous.lastTransitionTime : rfc3339(now);
  const message = verdict.ok ? SYNC_SUCCEEDED_MESSAGE : cut(verdict.message);
  const condition: Condition = {
    type,
    status,
    reason: verdict.ok ? SYNC_SUCCEEDED_REASON : verdict.reason,
    message,
    lastTransitionTime,
  };
  const generation = parent.metadata?.generation;
  if (generation !== undefined) condition.observedGeneration = generation;
  return condition;
}

/** `status` with `condition` in its conditions (replacing one of the same type, the others kept in order). */
export function withCondition(status: Record<string, unknown>, condition: Condition): Record<string, unknown> {
  const others = conditionsOf(status).filter((c) => c?.type !== condition.type);
  return { ...status, conditions: [...others, condition] };
}

/** `status` without the condition of `type` (and without `conditions` when none is left). */
export function withoutCondition(status: Record<string, unknown>, type: string): Record<string, unknown> {
  const { conditions: _all, ...rest } = status;
  const others = conditionsOf(status).filter((c) => c?.type !== type);
  return others.length > 0 ? { ...rest, conditions: others } : rest;
}

/**
 * The part of the cached status this field manager applied last (its top-level fields, from the
 * status entry of `managedFields`): what a status write must send again to leave the handler's
 * status as it is when the sync returned none (server-side apply removes what an apply leaves out).
 * Fields only others own are left out, so the write never takes them over.
 */
export function ownStatusOf(parent: KubeObject, owned: FieldsNode | undefined): Record<string, unknown> {
  const status = parent.status as Record<string, unknown> | undefined;
  const fields = owned?.["f:status"];
  if (!status || !fields) return {};
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    if (!key.startsWith("f:")) continue;
    const name = key.slice(2);
    if (status[name] !== undefined) out[name] = status[name];
  }
  return out;
}

/** Whether a status the API server answered with still holds a condition of `type` (a CRD without it in its schema prunes it). */
export function hasCondition(status: unknown, type: string): boolean {
  return conditionsOf(status).some((c) => c?.type === type);
}

function cut(message: string): string {
  return message.length <= MAX_CONDITION_MESSAGE ? message : `${message.slice(0, MAX_CONDITION_MESSAGE - 1)}…`;
}

/** RFC 3339 at second precision, as `metav1.Time` is written. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
