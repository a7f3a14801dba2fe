/**
 * The runtime's view of one operator and the contract of the handler it calls: `ControllerSpec`
 * (resolved types and settings, built by the runner from an `OperatorConfig`), `Snapshot` in,
 * `SyncOutcome`/`FinalizeOutcome` out. Plain data, so controller/ never reads api/ or decorators.
 */
import type { BackoffConfig } from "../core/backoff.js";
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import type { UpdateStrategy } from "../core/update-strategy.js";
import type { IndexSpec, RelatedSpec } from "./related-spec.js";
import type { SyncTrigger } from "../core/sync-trigger.js";

/**
 * One operator as the runtime sees it: resolved resource types and plain settings. Built from the
 * user's `OperatorConfig` at start-up; the runtime never reads decorators.
 */
export interface ControllerSpec {
  name: string;
  parent: ResourceType;
  /** Child types: how each is written, and whether a same-named object no one controls is taken over. */
  children: { resource: ResourceType; strategy: UpdateStrategy; adopt: boolean }[];
  /**
   * Watch namespaced parents, and their namespaced children, in these namespaces only: one
   * list+watch per namespace (all namespaces when undefined). Cluster-scoped types ignore it.
   */
  namespaces?: readonly string[];
  /** Watch only the parents this label selector matches (all when undefined). */
  labelSelector?: string;
  fieldManager: string;
  /** The label tying children to the parent's uid; default `TRACKING_LABEL` (`tsoperator.dev/parent-uid`). */
  trackingLabel?: string;
  /** The finalizer to manage; set only when the operator has a finalize handler. */
  finalizer?: string;
  /**
   * The finalizer this operator would use, set when it has NO finalize handler: an earlier version
   * of the operator may have added it, and it is removed from parents (on sync and on deletion)
   * so that they never stay Terminating for a handler that no longer exists.
   */
  formerFinalizer?: string;
  handlerTimeoutMs: number;
  concurrency: number;
  /** Sync every parent at least this often (ms), even without events. */
  resyncPeriodMs?: number;
  backoff: BackoffConfig;
  /**
   * The type of the condition in `status.conditions` that shows each sync's outcome (e.g.
   * `Synced`); undefined: no condition is written.
   */
  statusCondition?: string;
  /** Related types: read, selected per parent into the snapshot, never written. */
  related?: RelatedSpec[];
  /** User-facing indexes, looked up from the snapshot. */
  indexes?: IndexSpec[];
}

/** What a handler sees: the parent and the children it owns, as wire objects from the cache. */
export interface Snapshot {
  parent: KubeObject;
  children: KubeObject[];
  finalizing: boolean;
  /** The related objects the parent selects (absent: the operator has no related types). */
  related?: KubeObject[];
  /** Reads a user-facing index by name (absent: the operator declares none). */
  lookup?: (indexName: string, key: string, namespace?: string) => KubeObject[];
  /** Why this sync runs, as far as coalescing kept it (empty when called outside the controller). */
  reasons?: readonly SyncTrigger[];
}

/** The normalized result of a sync handler. */
export interface SyncOutcome {
  /** The parent's desired status (undefined: leave the status alone). */
  status?: Record<string, unknown>;
  /** The complete desired set of children, validated, as wire objects without ownership. */
  children: KubeObject[];
  resyncAfterMs?: number;
  /**
   * The handler failed but answered through an error handler: apply its status and resync,
   * keep every existing child (roperator deleted them all), and count the sync as failed.
   */
  failed?: { error: unknown };
}

/** The normalized result of a finalize handler. */
export interface FinalizeOutcome {
  done: boolean;
  status?: Record<string, unknown>;
  retryAfterMs?: number;
  /** The finalize failed but answered (a failable handler): write its status, report the failure, retry. */
  failed?: { error: unknown };
}

/** The handler, adapted to snapshots in and normalized outcomes out. */
export interface SnapshotHandler {
  /** Throws `InvalidChildError` for invalid output, or whatever the user's code threw. */
  sync(snapshot: Snapshot, signal: AbortSignal): Promise<SyncOutcome>;
  finalize?(snapshot: Snapshot, signal: AbortSignal): Promise<FinalizeOutcome>;
}
