/**
 * The reconciler: one pass over one parent, from the caches to the API server.
 *
 * Owns: reading the snapshot, calling the handler under its timeout, the order of the writes
 * (finalizer, children, then status), and turning every outcome into one `ReconcileResult`
 * (see reconcile-result.ts). It never throws for a failure of the parent: failures are results.
 *
 * Guarantees:
 * - at most one handler call per parent at a time, timeouts included (an abandoned call blocks
 *   the next one for its parent until it returns: abandoned-calls.ts);
 * - nothing is written once the sync's signal aborted (shutdown, lease lost) or this replica's
 *   lease expired by its own clock, and every write request carries the signal (write-client.ts);
 * - status goes out after the children, and claims `observedGeneration` only when every child
 *   write of the sync succeeded;
 * - with `spec.statusCondition`, every sync's outcome shows on the parent as that condition
 *   (sync-condition.ts): True after a success, False with the Event's reason and message after a
 *   handler failure or a failed child write, and after a failed finalize (the handler threw or
 *   answered `FinalizeResponse.failed`, or removing the finalizer failed); written only when it changed;
 * - every failed write (child, status, finalizer) is reported the same way: error log, Warning
 *   Event on the parent, `tsoperator_write_errors_total`;
 * - a sync that wrote something logs one info line saying what; a no-op sync logs nothing.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { typeKey } from "./child-identity.js";
import { ChildWriteError, subjectOf, writeChildren, type ChildBinding, type ChildWrite } from "./child-writer.js";
import type { ControllerSpec, FinalizeOutcome, Snapshot, SnapshotHandler, SyncOutcome } from "./controller-spec.js";
import { addFinalizer, removeFinalizer } from "./finalizers.js";
import { planDeletion, planLiveFinalizer, planOutcomeWrites } from "./parent-plan.js";
import type { CacheReader } from "../cache/object-store.js";
import { requestKey, type ReconcileRequest } from "./event-mapping.js";
import { isConflict, isNotFound, toApiError } from "../kube/errors.js";
import { TRACKING_LABEL, ownershipOf, type ChildOwner } from "./ownership.js";
import { describeThrown, HandlerTimeoutError, InvalidResponseError, isTerminalError, WritesStoppedError } from "../core/errors.js";
import { runWithTimeout } from "./run-with-timeout.js";
import { writeStatus } from "./status-writer.js";
import { ownedFields } from "./needs-write.js";
import {
  conditionsOf,
  hasCondition,
  ownStatusOf,
  syncCondition,
  withCondition,
  withoutCondition,
  type SyncVerdict,
} from "./sync-condition.js";
import { guardedWriteClient, type WriteClient } from "./write-client.js";
import { resultOfError, type ReconcileResult } from "./reconcile-result.js";
import { AbandonedCalls } from "./abandoned-calls.js";
import type { SyncTrigger } from "../core/sync-trigger.js";

export type { ReconcileResult } from "./reconcile-result.js";

/** Where the reconciler reports failures as Kubernetes Events (the event recorder). */
export interface EventSink {
  warning(obj: KubeObject, reason: string, message: string): void;
}

/** A child type's binding plus the cache the reconciler reads its children from. */
export interface ChildSource extends ChildBinding {
  store: CacheReader;
}

/** The parent cache as the reconciler uses it: read it, and hand write answers back to its informer. */
export interface ParentCache {
  readonly store: CacheReader;
  /**
   * Records a write's answer (the informer is the cache's only writer); `basedOn` is the
   * resourceVersion precondition the write carried, if any.
   */
  recordWrite(obj: KubeObject, options?: { basedOn?: string }): boolean;
}

/** Everything the reconciler needs, wired by the controller. */
export interface ReconcilerDeps {
  spec: ControllerSpec;
  client: WriteClient;
  handler: SnapshotHandler;
  parents: ParentCache;
  children: ReadonlyMap<string, ChildSource>;
  logger: Logger;
  metrics?: Metrics;
  events?: EventSink;
  /** False once this replica may no longer write (its leader lease expired); read before each write. */
  mayWrite?: () => boolean;
  /** Asks for another sync of `key` (an abandoned handler call returned while a sync waited for it). */
  requeue?: (key: string) => void;
  /** What the snapshot holds beside parent and children: related objects and index lookups. */
  relatedOf?: (parent: KubeObject) => Pick<Snapshot, "related" | "lookup">;
}

/** Default wait before calling finalize again when it returned "not done" without a delay. */
const DEFAULT_FINALIZE_RETRY_MS = 5_000;

/** Which write failed, for the Event reason and the metric label. */
type WriteKind = "child" | "status" | "finalizer";
const WRITE_FAILED_REASON: Record<WriteKind, string> = {
  child: "ChildWriteFailed",
  status: "StatusWriteFailed",
  finalizer: "FinalizerWriteFailed",
};

/** What one pass wrote, for the one info line per sync that wrote something. */
class WriteLog {
  readonly entries: string[] = [];
  add(entry: string): void {
    this.entries.push(entry);
  }
}

const CHILD_VERB_PAST: Record<ChildWrite["verb"], string> = {
  create: "created",
  apply: "applied",
  replace: "replaced",
  delete: "deleted",
  adopt: "adopted",
};

/**
 * Reconciles one parent: snapshot from the caches → handler → validated desired state → child
 * writes → status → finalizer. Level-based: it reads only the current cache, never the event that
 * triggered it. See the module comment for what it guarantees.
 */
export class Reconciler {
  private readonly abandoned: AbandonedCalls;
  /** Set once the API server dropped the condition from a written status (its CRD has no `conditions`). */
  private conditionPruned = false;

  constructor(private readonly deps: ReconcilerDeps) {
    this.abandoned = new AbandonedCalls((key) => this.deps.requeue?.(key));
  }

  /** Reconciles the parent `request` names. Never rejects. */
  async reconcile(
    request: ReconcileRequest,
    signal: AbortSignal = new AbortController().signal,
    reasons: readonly SyncTrigger[] = [],
  ): Promise<ReconcileResult> {
    const key = requestKey(request);
    const parent = this.deps.parents.store.get(request.namespace, request.name);
    if (!parent) {
      this.abandoned.forget(key);
      return { kind: "done" }; // gone: the garbage collector removes its children
    }
    if (this.abandoned.busy(key)) {
      this.deps.logger.debug("a timed-out handler call of this parent still runs; syncing once it returns", { parent: key });
      return { kind: "skipped", reason: "busy" };
    }
    const log = this.deps.logger.child({ parent: key });
    const client = guardedWriteClient(this.deps.client, { signal, ...(this.deps.mayWrite ? { mayWrite: this.deps.mayWrite } : {}) });
    const written = new WriteLog();
    try {
      const result = parent.metadata?.deletionTimestamp
        ? await this.finalize(key, parent, client, written, log, signal, reasons)
        : await this.sync(key, parent, client, written, log, signal, reasons);
      if (written.entries.length > 0) log.info(`synced: ${written.entries.join(", ")}`);
      return result;
    } catch (error) {
      // Every failure was reported where it happened; here it becomes a result.
      if (written.entries.length > 0) log.info(`synced (partly): ${written.entries.join(", ")}`);
      if (error instanceof WritesStoppedError || signal.aborted) {
        log.info("sync stopped before its writes: shutting down or no longer leading");
        return { kind: "skipped", reason: "stopped" };
      }
      return resultOfError(error);
    }
  }

  private async sync(
    key: string,
    parent: KubeObject,
    client: WriteClient,
    written: WriteLog,
    log: Logger,
    signal: AbortSignal,
    reasons: readonly SyncTrigger[],
  ): Promise<ReconcileResult> {
    const { spec } = this.deps;
    parent = await this.reconcileFinalizer(parent, client, written, log);

    const children = this.childrenOf(parent);
    let outcome: SyncOutcome;
    try {
      outcome = await this.callHandler("sync", key, signal, (s) =>
        this.deps.handler.sync({ parent, children, finalizing: false, reasons, ...this.deps.relatedOf?.(parent) }, s),
      );
    } catch (error) {
      // A handler that gave up because shutdown or lease loss aborted its signal did not fail.
      if (!signal.aborted && !(error instanceof WritesStoppedError)) {
        this.reportHandlerError(parent, "sync", error, log);
        await this.writeFailedCondition(parent, this.handlerVerdict("sync", error), client, written, log);
      }
      throw error;
    }

    const plan = planOutcomeWrites(outcome);
    // Children first, then status: the status claims observedGeneration only when the children
    // of this generation were all written (or, for an error handler's answer, as it says).
    let childError: unknown;
    if (plan.children === "write") {
      try {
        await this.writeChildren(parent, outcome.children, client, written, log);
      } catch (error) {
        childError = error; // reported by writeChildren
      }
    }
    const condition = this.conditionType();
    if (plan.status || condition) {
      const claim = plan.claimGeneration === "always" || childError === undefined;
      // No status from the handler: what we applied last stays (an apply removes what it leaves out).
      let status = plan.status ?? ownStatusOf(parent, ownedFields(parent, spec.fieldManager, "status"));
      if (condition) {
        const verdict: SyncVerdict = plan.failure
          ? this.handlerVerdict("sync", plan.failure.error)
          : childError !== undefined
            ? childVerdict(childError)
            : { ok: true };
        status = withCondition(status, syncCondition(condition, parent, verdict, new Date()));
      }
      await this.writeStatus(parent, status, client, written, log, claim);
    }
    if (plan.failure) {
      this.reportHandlerError(parent, "sync", plan.failure.error, log);
      return resultOfError(plan.failure.error, plan.failure.retryAfterMs);
    }
    if (childError !== undefined) throw childError;
    if (outcome.resyncAfterMs !== undefined) return { kind: "requeue", afterMs: outcome.resyncAfterMs };
    // The periodic resync (low priority: behind live changes), up to 10 % early at random: parents synced together (a start) spread out.
    return spec.resyncPeriodMs === undefined
      ? { kind: "done" }
      : { kind: "done", resyncAfterMs: spec.resyncPeriodMs * (0.9 + 0.1 * Math.random()) };
  }

  /** Adds our finalizer when the operator finalizes; removes a former one when it no longer does. */
  private async reconcileFinalizer(parent: KubeObject, client: WriteClient, written: WriteLog, log: Logger): Promise<KubeObject> {
    const { spec } = this.deps;
    const step = planLiveFinalizer(parent, spec);
    if (step.kind === "add") {
      // Guarded by `parent`'s resourceVersion, and the handler sees the answer: its event brings nothing new.
      const basedOn = parent.metadata?.resourceVersion;
      const patched = await this.writeFinalizer(parent, () => addFinalizer(client, spec.parent, parent, step.finalizer), log, basedOn);
      if (patched) {
        written.add(`added finalizer ${step.finalizer}`);
        return patched;
      }
    }
    if (step.kind === "remove") {
      try {
        const patched = await this.writeFinalizer(parent, () => removeFinalizer(client, spec.parent, parent, step.finalizer), log);
        if (patched) {
          written.add(`removed finalizer ${step.finalizer} (${step.reason})`);
          return patched;
        }
      } catch (error) {
        // Reported; the sync itself goes on (only the deletion of this parent depends on it).
        if (error instanceof WritesStoppedError) throw error;
      }
    }
    return parent;
  }

  /**
   * The children of `parent` in the caches: objects its uid controls, in its namespace when it is
   * namespaced, written by this operator (`ownershipOf`). The tracking label only narrows the
   * lookup; an object that merely carries it is not a child.
   */
  childrenOf(parent: KubeObject): KubeObject[] {
    const owner = this.ownerOf(parent);
    if (!owner) return [];
    const out: KubeObject[] = [];
    for (const source of this.deps.children.values()) {
      for (const child of source.store.byLabel(owner.trackingLabel ?? TRACKING_LABEL, owner.parentUid)) {
        if (ownershipOf(child, owner) === "ours") out.push(child);
      }
    }
    return out;
  }

  private ownerOf(parent: KubeObject): ChildOwner | undefined {
    const uid = parent.metadata?.uid;
    if (!uid) return undefined;
    const { spec } = this.deps;
    const owner: ChildOwner = { parentUid: uid, operator: spec.name, fieldManager: spec.fieldManager };
    if (spec.trackingLabel) owner.trackingLabel = spec.trackingLabel;
    if (spec.parent.namespaced) owner.parentNamespace = parent.metadata?.namespace ?? "";
    return owner;
  }

  /** Plans and performs the child writes; reports conflicts and failures (log, Event, metric). */
  private async writeChildren(
    parent: KubeObject,
    desired: KubeObject[],
    client: WriteClient,
    written: WriteLog,
    log: Logger,
  ): Promise<void> {
    const { spec } = this.deps;
    const owner = this.ownerOf(parent)!;
    const { apiVersion, kind } = spec.parent;
    const parentRef = { apiVersion, kind, name: parent.metadata?.name ?? "", uid: owner.parentUid };
    try {
      const writes = await writeChildren(client, {
        fieldManager: spec.fieldManager,
        desired,
        existing: this.childrenOf(parent),
        occupant: (key) => this.occupant(key),
        parent: parentRef,
        owner,
        prune: true,
        bindings: this.deps.children,
        onDecision: (action) => {
          const child = subjectOf(action);
          const { name, namespace } = child.metadata ?? {};
          log.debug(`child plan: ${action.type}`, { kind: child.kind, name, namespace, reason: action.reason });
        },
      });
      for (const w of writes) {
        this.deps.metrics?.childWrite(spec.name, w.kind, w.verb);
        log.debug(`child ${w.verb}`, { kind: w.kind, name: w.name, namespace: w.namespace, reason: w.reason });
        written.add(`${CHILD_VERB_PAST[w.verb]} ${w.kind} ${w.name}`);
      }
    } catch (error) {
      if (stoppedWrites(error)) throw new WritesStoppedError("shutdown");
      if (error instanceof ChildWriteError && error.conflicts.length > 0) {
        this.report(parent, "ChildConflict", new ChildWriteError(error.conflicts), log);
        if (error.conflicts.length < error.failures.length) {
          this.reportWriteFailure(parent, "child", new ChildWriteError(error.failures.filter((f) => !error.conflicts.includes(f))), log);
        }
      } else {
        this.reportWriteFailure(parent, "child", error, log);
      }
      throw error;
    }
  }

  /** A cached object with this child identity (any owner): a name the parent may not take. */
  private occupant(key: string): KubeObject | undefined {
    const [apiVersion = "", kind = "", namespace = "", name = ""] = key.split("|");
    return this.deps.children.get(typeKey(apiVersion, kind))?.store.get(namespace || undefined, name);
  }

  private async finalize(
    key: string,
    parent: KubeObject,
    client: WriteClient,
    written: WriteLog,
    log: Logger,
    signal: AbortSignal,
    reasons: readonly SyncTrigger[],
  ): Promise<ReconcileResult> {
    const { spec } = this.deps;
    const step = planDeletion(parent, spec, this.deps.handler.finalize !== undefined);
    if (step.kind === "nothing") return { kind: "done" };
    const finalizer = step.finalizer;
    let outcome: FinalizeOutcome = { done: true };
    if (step.kind === "finalize" && this.deps.handler.finalize) {
      const children = this.childrenOf(parent);
      try {
        outcome = await this.callHandler("finalize", key, signal, (s) =>
          this.deps.handler.finalize!({ parent, children, finalizing: true, reasons, ...this.deps.relatedOf?.(parent) }, s),
        );
      } catch (error) {
        if (!signal.aborted && !(error instanceof WritesStoppedError)) {
          this.reportHandlerError(parent, "finalize", error, log);
          await this.writeFailedCondition(parent, this.handlerVerdict("finalize", error), client, written, log);
        }
        throw error;
      }
    }
    if (outcome.done) {
      let patched: KubeObject | undefined;
      try {
        patched = await this.writeFinalizer(parent, () => removeFinalizer(client, spec.parent, parent, finalizer), log);
      } catch (error) {
        // Reported by writeFinalizer; the parent stays until the finalizer goes: say so on it. Not for a
        // conflict (the guarded patch met a newer parent: the retry reads it) or a parent already gone.
        if (!signal.aborted && !(error instanceof WritesStoppedError) && !isConflict(error) && !isNotFound(error)) {
          const verdict: SyncVerdict = { ok: false, reason: WRITE_FAILED_REASON.finalizer, message: failureMessage(error) };
          await this.writeFailedCondition(parent, verdict, client, written, log);
        }
        throw error;
      }
      // The one info line of this pass (nothing else was written).
      if (patched) log.info("finalized; finalizer removed", { finalizer });
      return { kind: "done" };
    }
    const retryAfterMs = outcome.retryAfterMs ?? DEFAULT_FINALIZE_RETRY_MS;
    if (outcome.failed) {
      // A failure answered with a status (failable): reported like a throw, shown on the parent, retried.
      const { error } = outcome.failed;
      this.reportHandlerError(parent, "finalize", error, log);
      const condition = this.conditionType();
      if (outcome.status || condition) {
        const own = outcome.status ?? ownStatusOf(parent, ownedFields(parent, this.deps.spec.fieldManager, "status"));
        const status = condition
          ? withCondition(own, syncCondition(condition, parent, this.handlerVerdict("finalize", error), new Date()))
          : own;
        await this.writeStatus(parent, status, client, written, log, false);
      }
      return resultOfError(error, retryAfterMs);
    }
    if (outcome.status) await this.writeStatus(parent, this.keepCondition(parent, outcome.status), client, written, log);
    return { kind: "requeue", afterMs: retryAfterMs };
  }

  /** Calls the handler under the timeout; a call abandoned at its timeout blocks the next one for the key. */
  private callHandler<T>(operation: "sync" | "finalize", key: string, signal: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    return runWithTimeout(
      {
        operation,
        parentKey: key,
        timeoutMs: this.deps.spec.handlerTimeoutMs,
        outer: signal,
        onAbandoned: (settled) => this.abandoned.track(key, settled),
      },
      fn,
    );
  }

  private async writeFinalizer(
    parent: KubeObject,
    write: () => Promise<KubeObject | undefined>,
    log: Logger,
    basedOn?: string,
  ): Promise<KubeObject | undefined> {
    try {
      const patched = await write();
      if (patched) this.deps.parents.recordWrite(patched, basedOn !== undefined ? { basedOn } : {});
      return patched;
    } catch (error) {
      if (!(error instanceof WritesStoppedError)) this.reportWriteFailure(parent, "finalizer", error, log);
      throw error;
    }
  }

  private async writeStatus(
    parent: KubeObject,
    status: Record<string, unknown>,
    client: WriteClient,
    written: WriteLog,
    log: Logger,
    claimGeneration = true,
  ): Promise<void> {
    const { spec } = this.deps;
    try {
      const result = await this.applyStatus(parent, status, client, log, claimGeneration);
      if (!result) return;
      this.deps.metrics?.statusWrite(spec.name);
      written.add("status");
      this.deps.parents.recordWrite(result);
      const condition = this.conditionType();
      if (condition && !hasCondition(result.status, condition)) this.turnConditionOff(condition, "dropped", log);
      const generation = parent.metadata?.generation;
      const observed = (result.status as Record<string, unknown> | undefined)?.observedGeneration;
      if (claimGeneration && generation !== undefined && observed !== generation) {
        log.warn(
          "the API server dropped status.observedGeneration: add it to the CRD's status schema " +
            "(or x-kubernetes-preserve-unknown-fields), else every sync rewrites the status",
        );
      }
    } catch (error) {
      if (!(error instanceof WritesStoppedError)) this.reportWriteFailure(parent, "status", error, log);
      throw error;
    }
  }

  /**
   * One status apply. A CRD whose status schema does not declare `conditions` refuses an apply that
   * carries it ("field not declared in schema": e.g. a CRD generated before conditions were, not
   * applied again after an upgrade): the condition is turned off and the status applied without it,
   * so a missing schema field never fails every sync.
   */
  private async applyStatus(parent: KubeObject, status: Record<string, unknown>, client: WriteClient, log: Logger, claim: boolean) {
    const { spec } = this.deps;
    const condition = this.conditionType();
    try {
      return await writeStatus(client, spec.parent, parent, status, spec.fieldManager, { claimGeneration: claim });
    } catch (error) {
      if (!condition || !conditionsNotDeclared(error)) throw error;
      this.turnConditionOff(condition, "refused", log);
      return await writeStatus(client, spec.parent, parent, withoutCondition(status, condition), spec.fieldManager, {
        claimGeneration: claim,
      });
    }
  }

  private turnConditionOff(condition: string, how: "dropped" | "refused", log: Logger): void {
    this.conditionPruned = true;
    log.warn(
      `the API server ${how} status.conditions: its CRD's status schema does not declare it (\`tsoperator manifests\` does; ` +
        `apply the CRD again), or set statusCondition: false; the ${condition} condition is no longer written by this operator`,
    );
  }

  private reportHandlerError(parent: KubeObject, handler: "sync" | "finalize", error: unknown, log: Logger): void {
    if (error instanceof WritesStoppedError) return;
    this.deps.metrics?.handlerError(this.deps.spec.name, handlerErrorReason(error));
    const failure = handlerFailure(handler, error);
    this.report(parent, failure.reason, failure.thrown, log, failure.suffix);
  }

  /** The verdict of a handler failure: the reason and message of its Event. */
  private handlerVerdict(handler: "sync" | "finalize", error: unknown): SyncVerdict {
    const failure = handlerFailure(handler, error);
    return { ok: false, reason: failure.reason, message: failureMessage(failure.thrown, failure.suffix) };
  }

  /** The condition type to write, unless the operator has none or the API server prunes it. */
  private conditionType(): string | undefined {
    return this.conditionPruned ? undefined : this.deps.spec.statusCondition;
  }

  /**
   * A sync or finalize that failed before it had an outcome (the handler threw, timed out, returned
   * something invalid), or whose finalizer could not be removed: the condition says so; the status keeps what we applied last and its observedGeneration.
   * A failure of this write is reported and dropped: the handler's failure is the one the sync ends with.
   */
  private async writeFailedCondition(parent: KubeObject, verdict: SyncVerdict, client: WriteClient, written: WriteLog, log: Logger) {
    const condition = this.conditionType();
    if (!condition) return;
    const own = ownStatusOf(parent, ownedFields(parent, this.deps.spec.fieldManager, "status"));
    const status = withCondition(own, syncCondition(condition, parent, verdict, new Date()));
    try {
      await this.writeStatus(parent, status, client, written, log, false);
    } catch (error) {
      if (error instanceof WritesStoppedError) throw error;
    }
  }

  /** A status written outside a sync (finalize's) keeps the sync's condition as it is. */
  private keepCondition(parent: KubeObject, status: Record<string, unknown>): Record<string, unknown> {
    const condition = this.conditionType();
    const cached = condition ? conditionsOf(parent.status).find((c) => c?.type === condition) : undefined;
    return cached ? withCondition(status, cached) : status;
  }

  /** Every failed write, whichever it was: error log, Warning Event, `tsoperator_write_errors_total`. */
  private reportWriteFailure(parent: KubeObject, write: WriteKind, error: unknown, log: Logger): void {
    this.deps.metrics?.writeError(this.deps.spec.name, write);
    this.report(parent, WRITE_FAILED_REASON[write], error, log);
  }

  private report(parent: KubeObject, reason: string, thrown: unknown, log: Logger, suffix = ""): void {
    const error = toApiError(thrown);
    const message = failureMessage(thrown, suffix);
    log.error(`${reason}: ${message}`, { reason, error });
    this.deps.events?.warning(parent, reason, message);
  }
}

/** The API server refused a status apply because its CRD does not declare `status.conditions`. */
function conditionsNotDeclared(error: unknown): boolean {
  const message = error instanceof Error ? error.message : "";
  return /\.status\.conditions\b.*not declared in schema/s.test(message);
}

/** The message of a failure's Event and condition. */
function failureMessage(thrown: unknown, suffix = ""): string {
  // A handler's own client-node call throws "HTTP-Code: 403 Message: Unknown API Status Code!…".
  const error = toApiError(thrown);
  return (error instanceof Error ? error.message : String(error)) + suffix;
}

/** A handler failure's Event reason, what to report as thrown, and the hint after its message. */
function handlerFailure(handler: "sync" | "finalize", error: unknown): { reason: string; thrown: unknown; suffix: string } {
  const reason = handlerErrorReason(error);
  const eventReason = HANDLER_EVENT_REASON[reason] ?? (handler === "sync" ? "SyncFailed" : "FinalizeFailed");
  const suffix = reason === "terminal" ? " (not retried until the parent or one of its children changes)" : "";
  // `throw "db down"` or `throw undefined`: say what was thrown, and that it was not an Error.
  const thrown = error instanceof Error ? error : `the ${handler} handler ${describeThrown(error)}`;
  return { reason: eventReason, thrown, suffix: suffix + frozenEditHint(error) };
}

/** The verdict of a sync whose child writes failed: the reason of the Event that reported it. */
function childVerdict(error: unknown): SyncVerdict {
  const reason = error instanceof ChildWriteError && error.conflicts.length > 0 ? "ChildConflict" : "ChildWriteFailed";
  return { ok: false, reason, message: failureMessage(error) };
}

function isInvalidChild(error: unknown): boolean {
  return error instanceof Error && error.name === "InvalidChildError";
}

/** A handler that edited the snapshot's (frozen) objects in place: say why it threw and what to do. */
function frozenEditHint(error: unknown): string {
  if (!(error instanceof TypeError)) return "";
  if (!/read.only property|object is not extensible|Cannot delete property|Cannot add property/.test(error.message)) return "";
  return " (the snapshot's objects are the cache's and read-only: copy one before editing it, e.g. structuredClone(req.raw))";
}

/** The `reason` label of `tsoperator_handler_errors_total` for a handler's failure. */
function handlerErrorReason(error: unknown): "terminal" | "timeout" | "invalid_child" | "invalid_response" | "throw" {
  if (isTerminalError(error)) return "terminal";
  if (error instanceof HandlerTimeoutError) return "timeout";
  if (isInvalidChild(error)) return "invalid_child";
  if (error instanceof InvalidResponseError) return "invalid_response";
  return "throw";
}

/** The Event reason per handler error reason; a plain throw is SyncFailed or FinalizeFailed. */
const HANDLER_EVENT_REASON: Partial<Record<ReturnType<typeof handlerErrorReason>, string>> = {
  terminal: "TerminalError",
  timeout: "HandlerTimeout",
  invalid_child: "InvalidChild",
  invalid_response: "InvalidResponse",
};

/** True when a child pass failed only because writing was no longer allowed. */
function stoppedWrites(error: unknown): boolean {
  if (error instanceof WritesStoppedError) return true;
  return (
    error instanceof ChildWriteError && error.failures.length > 0 && error.failures.every((f) => f.error instanceof WritesStoppedError)
  );
}
