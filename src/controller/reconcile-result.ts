/**
 * The reconcile contract: what one reconcile pass can end in, and the pure decision of what the
 * work queue, the metrics and the failure counts do with it (controller-runtime's
 * `reconcile.Result` + `TerminalError`, kube-rs's `Action`). No I/O here; unit-tested alone.
 */
import { isTerminalError, WritesStoppedError } from "../core/errors.js";
import type { ReconcileMetricResult } from "../observability/metrics.js";
import { QueuePriority, type QueueAction } from "./work-queue.js";

/** How one reconcile pass ended. */
export type ReconcileResult =
  /**
   * In line with the desired state; nothing scheduled, or the periodic resync after
   * `resyncAfterMs` (a safety net like controller-runtime's SyncPeriod: still a plain success,
   * queued at low priority, behind live changes).
   */
  | { kind: "done"; resyncAfterMs?: number }
  /**
   * In line; sync again after `afterMs`: the handler's `resyncAfter`, or the resync period
   * (`periodic`: queued at low priority, behind live changes).
   */
  | { kind: "requeue"; afterMs: number; periodic?: boolean }
  /** Failed; retried after `retryAfterMs` when given (an error handler chose it), else with backoff. */
  | { kind: "failed"; error: unknown; retryAfterMs?: number }
  /** Failed for good (`TerminalError`): not retried until an event for the parent arrives. */
  | { kind: "terminal"; error: unknown }
  /**
   * The handler was not called, or nothing was written, for a reason that is not the parent's
   * fault: an abandoned (timed-out) call of the same parent is still running (`busy`; the key is
   * added again when it settles), or writing is no longer allowed (`stopped`: shutdown or lease lost).
   */
  | { kind: "skipped"; reason: "busy" | "stopped" };

/** What the controller does with a `ReconcileResult`. */
export interface ReconcileDecision {
  /** What the work queue does with the key. */
  queue: QueueAction;
  /** The metric label. */
  metric: ReconcileMetricResult;
  /** Counts as a failed sync of the parent (error counts, `lastErrorAt`). */
  failure: boolean;
  /** Counts in `controller_runtime_terminal_reconcile_errors_total`. */
  terminal: boolean;
}

/** The result of a handler (or write) error: terminal for a `TerminalError`, stopped when writes were refused. */
export function resultOfError(error: unknown, retryAfterMs?: number): ReconcileResult {
  if (error instanceof WritesStoppedError) return { kind: "skipped", reason: "stopped" };
  if (isTerminalError(error)) return { kind: "terminal", error };
  return retryAfterMs === undefined ? { kind: "failed", error } : { kind: "failed", error, retryAfterMs };
}

/** Decides, with no I/O, what a reconcile result means for the queue, the metrics and the counts. */
export function reconcileDecisionOf(result: ReconcileResult): ReconcileDecision {
  switch (result.kind) {
    case "done": {
      const after = result.resyncAfterMs;
      const queue: QueueAction =
        after === undefined ? { type: "success" } : { type: "success", requeueAfterMs: after, requeuePriority: QueuePriority.low };
      return { queue, metric: "success", failure: false, terminal: false };
    }
    case "requeue":
      return {
        queue: {
          type: "success",
          requeueAfterMs: result.afterMs,
          ...(result.periodic ? { requeuePriority: QueuePriority.low } : {}),
        },
        metric: "requeue_after",
        failure: false,
        terminal: false,
      };
    case "failed": {
      const queue: QueueAction =
        result.retryAfterMs === undefined
          ? { type: "retry", error: result.error }
          : { type: "retry", error: result.error, afterMs: result.retryAfterMs };
      return { queue, metric: "error", failure: true, terminal: false };
    }
    case "terminal":
      return { queue: { type: "drop", error: result.error }, metric: "error", failure: true, terminal: true };
    case "skipped":
      return result.reason === "busy"
        ? { queue: { type: "wait" }, metric: "requeue", failure: false, terminal: false }
        : // Writes were refused: normally the queue is shutting down and drops the retry; if the
          // lease is somehow still ours, the retry does the work.
          { queue: { type: "retry", error: new WritesStoppedError("shutdown") }, metric: "requeue", failure: false, terminal: false };
  }
}
