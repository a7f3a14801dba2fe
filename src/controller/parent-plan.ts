/**
 * The reconciler's decisions about the parent itself, as data (like `planChildren` for the
 * children and `watch-state.ts` for the watch): what to do with our finalizer on a live parent,
 * what a deleting parent needs, and which writes a handler's outcome leads to. Pure: the
 * reconciler performs the steps; the rules are unit-tested here without a server.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { ControllerSpec, SyncOutcome } from "./controller-spec.js";
import { hasFinalizer } from "./finalizers.js";

/** What to do with our finalizer on a parent that is not being deleted. */
export type LiveFinalizerStep =
  | { kind: "none"; reason: string }
  | { kind: "add"; finalizer: string; reason: string }
  | { kind: "remove"; finalizer: string; reason: string };

/**
 * A live parent carries our finalizer exactly when the operator has a finalize handler: it is
 * added when missing, and one that an earlier version of the operator added (it no longer
 * declares `@Finalize`) is removed, so that deleting the parent later never waits for a handler
 * that does not exist.
 */
export function planLiveFinalizer(parent: KubeObject, spec: Pick<ControllerSpec, "finalizer" | "formerFinalizer">): LiveFinalizerStep {
  if (spec.finalizer) {
    return hasFinalizer(parent, spec.finalizer)
      ? { kind: "none", reason: "our finalizer is in place" }
      : { kind: "add", finalizer: spec.finalizer, reason: "the operator finalizes its parents" };
  }
  if (spec.formerFinalizer && hasFinalizer(parent, spec.formerFinalizer)) {
    return { kind: "remove", finalizer: spec.formerFinalizer, reason: "the operator no longer declares a finalize handler" };
  }
  return { kind: "none", reason: "the operator does not finalize" };
}

/** What a parent being deleted (deletionTimestamp set) needs from this operator. */
export type DeletionStep =
  | { kind: "nothing"; reason: string }
  | { kind: "finalize"; finalizer: string; reason: string }
  | { kind: "release"; finalizer: string; reason: string };

/**
 * A deleting parent: without our finalizer there is nothing to do (the garbage collector removes
 * the children); with it, the finalize handler runs and the finalizer goes once it says done; a
 * finalizer left by an earlier version of the operator (no handler now) is released at once.
 */
export function planDeletion(
  parent: KubeObject,
  spec: Pick<ControllerSpec, "finalizer" | "formerFinalizer">,
  hasFinalizeHandler: boolean,
): DeletionStep {
  const finalizer = spec.finalizer ?? spec.formerFinalizer;
  if (!finalizer || !hasFinalizer(parent, finalizer)) return { kind: "nothing", reason: "our finalizer is not on the parent" };
  if (spec.finalizer && hasFinalizeHandler) return { kind: "finalize", finalizer, reason: "the finalize handler decides when it may go" };
  return { kind: "release", finalizer, reason: "no finalize handler: the finalizer must not keep the parent Terminating" };
}

/** The writes a handler's outcome leads to, in order. */
export interface OutcomeWrites {
  /** Write the desired children (and prune the rest), or keep every existing child as it is. */
  children: "write" | "keep";
  /** The status to write (undefined: leave the status alone). */
  status?: Record<string, unknown>;
  /**
   * When the status may carry the current `observedGeneration`: always, or only when every child
   * write of the sync succeeded (so that `observedGeneration == generation` never claims a sync
   * whose children failed).
   */
  claimGeneration: "always" | "if-children-succeeded";
  /** The failure the sync ends with after its writes (an error handler's answer), if any. */
  failure?: { error: unknown; retryAfterMs?: number };
}

/**
 * What to write for a sync outcome. A failure answered by an error handler writes its status and
 * keeps every child (roperator deleted them all); a success writes the children first, then the
 * status.
 */
export function planOutcomeWrites(outcome: SyncOutcome): OutcomeWrites {
  const status = outcome.status ? { status: outcome.status } : {};
  if (outcome.failed) {
    const retry = outcome.resyncAfterMs !== undefined ? { retryAfterMs: outcome.resyncAfterMs } : {};
    return { children: "keep", ...status, claimGeneration: "always", failure: { error: outcome.failed.error, ...retry } };
  }
  return { children: "write", ...status, claimGeneration: "if-children-succeeded" };
}
