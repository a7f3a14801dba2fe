/**
 * What a handler gets beside the snapshot (`req.log`, `req.events`, `req.reason`; `req.signal` is
 * on the request itself): the shapes as api/ declares them, so that api/ stays free of I/O. The
 * runner supplies the real ones (the runtime's winston logger, the operator's aggregated Event
 * recorder); a request built without them (a unit test of a handler) gets silent ones.
 */
import { describeTriggers, type SyncTrigger, type SyncTriggerKind } from "../core/sync-trigger.js";

export type { SyncTrigger, SyncTriggerKind } from "../core/sync-trigger.js";

/** The logger a handler writes through; structurally the runtime's `Logger`. */
export interface HandlerLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger adding `fields` to every record. */
  child(fields: Record<string, unknown>): HandlerLogger;
}

/**
 * Kubernetes Events about the parent (what `kubectl describe` shows under "Events"), through the
 * operator's recorder: identical events within 10 minutes are aggregated into one with a count,
 * and a per-object rate limit keeps a hot loop from flooding the API server. Fire and forget:
 * never throws, never waits.
 */
export interface ParentEvents {
  /** A `Normal` event, e.g. `req.events.normal("BackupDone", "backup 42 written to s3://...")`. */
  normal(reason: string, message: string): void;
  /** A `Warning` event, e.g. `req.events.warning("QuotaLow", "3 of 100 GiB left")`. */
  warning(reason: string, message: string): void;
}

/**
 * Why this sync runs: every trigger seen for the parent since its previous sync started, in the
 * order they came (coalescing merges them into one sync; duplicates are kept once). The sync is
 * still level-based: read the snapshot, not the trigger, to decide the desired state; the reason
 * is for logs, Events and shortcuts such as "skip the external call on a plain resync".
 */
export interface SyncReason {
  /** The triggers, oldest first (at most 16 distinct). */
  readonly triggers: readonly SyncTrigger[];
  /** True when one of the triggers is of `kind`, e.g. `req.reason.has("child-changed")`. */
  has(kind: SyncTriggerKind): boolean;
  /** A short text for logs: `"created"`, `"child-changed ConfigMap web (MODIFIED), resync"`. */
  toString(): string;
}

/** The reason of a sync from its triggers. */
export function syncReason(triggers: readonly SyncTrigger[]): SyncReason {
  const frozen = Object.freeze([...triggers]);
  return Object.freeze({
    triggers: frozen,
    has: (kind: SyncTriggerKind) => frozen.some((t) => t.kind === kind),
    toString: () => describeTriggers(frozen),
  });
}

/** A logger that drops everything (a request built without the runtime's). */
export const SILENT_LOGGER: HandlerLogger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => SILENT_LOGGER,
});

/** Events that go nowhere (a request built without a recorder, or `events: false`). */
export const NO_EVENTS: ParentEvents = Object.freeze({ normal() {}, warning() {} });
