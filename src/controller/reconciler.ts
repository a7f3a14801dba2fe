import type { KubeObject } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { typeKey } from "./child-identity.js";
import { ChildWriteError, subjectOf, writeChildren, type ChildBinding } from "./child-writer.js";
import type { ControllerSpec, FinalizeOutcome, SnapshotHandler, SyncOutcome } from "./controller-spec.js";
import { addFinalizer, hasFinalizer, removeFinalizer } from "./finalizers.js";
import { keyOf, type CacheReader } from "../cache/object-store.js";
import { requestKey, type ReconcileRequest } from "./event-mapping.js";
import { TRACKING_LABEL, ownershipOf, type ChildOwner } from "./ownership.js";
import { HandlerTimeoutError } from "../core/errors.js";
import { runWithTimeout } from "./run-with-timeout.js";
import { writeStatus } from "./status-writer.js";
import type { WriteClient } from "./write-client.js";
import { toApiError } from "../kube/errors.js";

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

/** What one reconcile pass did; the work queue reads `requeueAfterMs`. */
export interface ReconcileResult {
  requeueAfterMs?: number;
  /** The sync failed but an error handler chose when to retry (`requeueAfterMs`); count it as a failure. */
  failed?: unknown;
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
}

/** Default wait before calling finalize again when it returned "not done" without a delay. */
const DEFAULT_FINALIZE_RETRY_MS = 5_000;

/**
 * Reconciles one parent: snapshot from the caches → handler → validated desired state → child
 * writes → status → finalizer. Level-based: it reads only the current cache, never the event that
 * triggered it. Throws to ask the work queue for a retry with backoff.
 */
export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** Reconciles the parent `request` names. */
  async reconcile(request: ReconcileRequest, signal?: AbortSignal): Promise<ReconcileResult> {
    const { spec, parents } = this.deps;
    const key = requestKey(request);
    const name = request.name;
    let parent = parents.store.get(request.namespace, name);
    if (!parent) return {}; // gone: the garbage collector removes its children
    const log = this.deps.logger.child({ parent: key });

    if (parent.metadata?.deletionTimestamp) return this.finalize(parent, log, signal);

    if (spec.finalizer && !hasFinalizer(parent, spec.finalizer)) {
      const patched = await addFinalizer(this.deps.client, spec.parent, parent, spec.finalizer);
      if (patched) {
        // Guarded by `parent`'s resourceVersion, and the handler sees the answer: its event brings nothing new.
        const basedOn = parent.metadata?.resourceVersion;
        parents.recordWrite(patched, basedOn !== undefined ? { basedOn } : {});
        parent = patched;
        log.debug("finalizer added", { finalizer: spec.finalizer });
      }
    }

    const children = this.childrenOf(parent);
    let outcome: SyncOutcome;
    try {
      outcome = await runWithTimeout("sync", key, spec.handlerTimeoutMs, signal, (s) =>
        this.deps.handler.sync({ parent: parent!, children, finalizing: false }, s),
      );
    } catch (error) {
      this.reportHandlerError(parent, "sync", error, log);
      throw error;
    }

    if (outcome.failed) {
      // An error handler answered: apply its status and resync, keep every child as it is.
      if (outcome.status) await this.writeStatus(parent, outcome.status, log);
      this.reportHandlerError(parent, "sync", outcome.failed.error, log);
      if (outcome.resyncAfterMs !== undefined) return { requeueAfterMs: outcome.resyncAfterMs, failed: outcome.failed.error };
      throw outcome.failed.error;
    }

    // Children and status are independent writes: send them together (one round trip, not two).
    const [childWrites, statusWrite] = await Promise.allSettled([
      this.writeChildren(parent, outcome.children, log),
      outcome.status ? this.writeStatus(parent, outcome.status, log) : Promise.resolve(),
    ]);
    if (childWrites.status === "rejected") throw childWrites.reason; // reported by writeChildren
    if (statusWrite.status === "rejected") throw statusWrite.reason; // reported by writeStatus
    const requeueAfterMs = outcome.resyncAfterMs ?? spec.resyncPeriodMs;
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
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
      for (const child of source.store.byLabel(TRACKING_LABEL, owner.parentUid)) {
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
    if (spec.parent.namespaced) owner.parentNamespace = parent.metadata?.namespace ?? "";
    return owner;
  }

  /** Plans and performs the child writes; reports conflicts and failures as Events. */
  private async writeChildren(parent: KubeObject, desired: KubeObject[], log: Logger): Promise<void> {
    const { spec } = this.deps;
    const owner = this.ownerOf(parent)!;
    const { apiVersion, kind } = spec.parent;
    const parentRef = { apiVersion, kind, name: parent.metadata?.name ?? "", uid: owner.parentUid };
    try {
      const writes = await writeChildren(this.deps.client, {
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
      }
    } catch (error) {
      if (error instanceof ChildWriteError && error.conflicts.length > 0) {
        this.report(parent, "ChildConflict", new ChildWriteError(error.conflicts), log);
        if (error.conflicts.length < error.failures.length) {
          this.report(parent, "ChildWriteFailed", new ChildWriteError(error.failures.filter((f) => !error.conflicts.includes(f))), log);
        }
      } else {
        this.report(parent, "ChildWriteFailed", error, log);
      }
      throw error;
    }
  }

  /** A cached object with this child identity (any owner): a name the parent may not take. */
  private occupant(key: string): KubeObject | undefined {
    const [apiVersion = "", kind = "", namespace = "", name = ""] = key.split("|");
    return this.deps.children.get(typeKey(apiVersion, kind))?.store.get(namespace || undefined, name);
  }

  private async finalize(parent: KubeObject, log: Logger, signal?: AbortSignal): Promise<ReconcileResult> {
    const { spec, client, parents } = this.deps;
    if (!spec.finalizer || !hasFinalizer(parent, spec.finalizer)) return {};
    let outcome: FinalizeOutcome = { done: true };
    if (this.deps.handler.finalize) {
      const children = this.childrenOf(parent);
      try {
        outcome = await runWithTimeout("finalize", keyOf(parent), spec.handlerTimeoutMs, signal, (s) =>
          this.deps.handler.finalize!({ parent, children, finalizing: true }, s),
        );
      } catch (error) {
        this.reportHandlerError(parent, "finalize", error, log);
        throw error;
      }
    }
    if (outcome.done) {
      const patched = await removeFinalizer(client, spec.parent, parent, spec.finalizer);
      if (patched) parents.recordWrite(patched);
      log.info("finalized; finalizer removed", { finalizer: spec.finalizer });
      return {};
    }
    if (outcome.status) await this.writeStatus(parent, outcome.status, log);
    return { requeueAfterMs: outcome.retryAfterMs ?? DEFAULT_FINALIZE_RETRY_MS };
  }

  private async writeStatus(parent: KubeObject, status: Record<string, unknown>, log: Logger): Promise<void> {
    const { spec } = this.deps;
    try {
      const written = await writeStatus(this.deps.client, spec.parent, parent, status, spec.fieldManager);
      if (!written) return;
      this.deps.metrics?.statusWrite(spec.name);
      this.deps.parents.recordWrite(written);
      const generation = parent.metadata?.generation;
      const observed = (written.status as Record<string, unknown> | undefined)?.observedGeneration;
      if (generation !== undefined && observed !== generation) {
        log.warn(
          "the API server dropped status.observedGeneration: add it to the CRD's status schema " +
            "(or x-kubernetes-preserve-unknown-fields), else every sync rewrites the status",
        );
      }
    } catch (error) {
      this.report(parent, "StatusWriteFailed", error, log);
      throw error;
    }
  }

  private reportHandlerError(parent: KubeObject, handler: "sync" | "finalize", error: unknown, log: Logger): void {
    const reason = error instanceof HandlerTimeoutError ? "timeout" : isInvalidChild(error) ? "invalid_child" : "throw";
    this.deps.metrics?.handlerError(this.deps.spec.name, reason);
    const eventReason =
      reason === "timeout" ? "HandlerTimeout" : reason === "invalid_child" ? "InvalidChild" : handler === "sync" ? "SyncFailed" : "FinalizeFailed";
    this.report(parent, eventReason, error, log);
  }

  private report(parent: KubeObject, reason: string, thrown: unknown, log: Logger): void {
    // A handler's own client-node call throws "HTTP-Code: 403 Message: Unknown API Status Code!…".
    const error = toApiError(thrown);
    const message = error instanceof Error ? error.message : String(error);
    log.error(`${reason}: ${message}`, { reason, error });
    this.deps.events?.warning(parent, reason, message);
  }
}

function isInvalidChild(error: unknown): boolean {
  return error instanceof Error && error.name === "InvalidChildError";
}

