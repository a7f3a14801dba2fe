/**
 * Why a sync runs: the triggers the controller saw for a parent since its previous sync, as plain
 * data. Shared by controller/ (which collects them) and api/ (which hands them to the handler as
 * `req.reason`). Pure types and helpers, no I/O.
 *
 * Guarantees: triggers are kept in the order they first happened, one per distinct (kind, object)
 * and at most {@link MAX_TRIGGERS} of them; a sync the work queue started by itself (no event) is
 * a `resync` (after a success) or a `retry` (after a failure).
 */

/**
 * What started a sync:
 * - `created`: the parent appeared while the operator was running (a watch event);
 * - `existing`: the parent (or a child of it) was found by the first list of the caches (a start, a restart, a new leader);
 * - `changed`: the parent changed (spec, labels, annotations, deletion...; status-only changes never trigger);
 * - `child-changed`: a child was added, changed or deleted (`object` and `event` say which and how);
 * - `related-changed`: a related object the parent selects was added, changed or deleted (`object`, `event`);
 * - `resync`: the periodic resync or the handler's `resyncAfter` came due;
 * - `retry`: a retry after a failed sync;
 * - `requeue`: the runtime asked again (a timed-out call of this parent returned meanwhile).
 */
export type SyncTriggerKind = "created" | "existing" | "changed" | "child-changed" | "related-changed" | "resync" | "retry" | "requeue";

/** One cause of a sync. */
export interface SyncTrigger {
  readonly kind: SyncTriggerKind;
  /** The child (or related object) whose event it was, for `child-changed` and `related-changed`. */
  readonly object?: { readonly kind: string; readonly name: string; readonly namespace?: string };
  /** The watch event of the object, for `child-changed` and `related-changed`. */
  readonly event?: "ADDED" | "MODIFIED" | "DELETED";
}

/** Distinct triggers kept per sync at most; a flood of child events keeps the first ones. */
export const MAX_TRIGGERS = 16;

/** Stable identity of a trigger for de-duplication (same kind and object: one entry). */
export function triggerKey(trigger: SyncTrigger): string {
  const o = trigger.object;
  return o ? `${trigger.kind}|${o.kind}|${o.namespace ?? ""}|${o.name}` : trigger.kind;
}

/** A short human form: `"created"`, `"child-changed ConfigMap x (MODIFIED)"`, joined with ", ". */
export function describeTriggers(triggers: readonly SyncTrigger[]): string {
  return triggers
    .map((t) => (t.object ? `${t.kind} ${t.object.kind} ${t.object.name}${t.event ? ` (${t.event})` : ""}` : t.kind))
    .join(", ");
}
