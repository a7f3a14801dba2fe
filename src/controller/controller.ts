/**
 * One operator at run time: wires its informers to the event mappers (`event-mapping.ts`), the
 * mapped requests into a work queue, and each request to the `Reconciler`.
 *
 * Owns: the operator's work queue, its failure counts, and which informer writes go to (write
 * answers go back to the informer that caches the type, the only writer of that cache).
 */
import type { KubeClient } from "../kube/client.js";
import type { KubeObject } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { typeKey } from "./child-identity.js";
import type { ControllerSpec, SnapshotHandler } from "./controller-spec.js";
import type { InformerPool } from "../cache/informer-pool.js";
import type { Informer } from "../cache/informer.js";
import type { InformerGroup } from "../cache/informer-group.js";
import type { StoreEvent } from "../cache/object-store.js";
import { childEventMapper, mapParentEvent, requestFromKey, requestKey, type EventMapper } from "./event-mapping.js";
import { TRACKING_LABEL } from "./ownership.js";
import { Reconciler, type ChildSource, type EventSink } from "./reconciler.js";
import { RelatedSources } from "./related-sources.js";
import { reconcileDecisionOf, resultOfError, type ReconcileResult } from "./reconcile-result.js";
import { QueuePriority, WorkQueue, type QueueAction } from "./work-queue.js";
import { SyncReasons } from "./sync-reasons.js";
import type { SyncTrigger } from "../core/sync-trigger.js";
import { unauthorizedIn, type CredentialsRefused } from "./credentials-refused.js";

/** What a controller needs from the process it runs in. */
export interface ControllerDeps {
  client: KubeClient;
  informers: InformerPool;
  logger: Logger;
  metrics?: Metrics;
  events?: EventSink;
  /**
   * False once this replica may no longer write: the leader elector's lease check, read by the
   * clock right before every write (absent without leader election).
   */
  mayWrite?: () => boolean;
}

/** A snapshot of one controller's state, for health endpoints and tests. */
export interface ControllerState {
  name: string;
  synced: boolean;
  queueDepth: number;
  inFlight: number;
  delayed: number;
  lastSyncAt?: Date;
  lastErrorAt?: Date;
}

/**
 * One operator at run time: maps informer events to reconcile requests (`event-mapping.ts`), feeds
 * them through a work queue and reconciles each with the `Reconciler`.
 *
 * Events map to parents this way: a parent's own events (except status-only changes, which our
 * own status writes cause), and every event of a child whose controller ownerReference points at
 * a parent of this operator.
 */
export class Controller {
  readonly queue: WorkQueue<string>;
  private readonly reconciler: Reconciler;
  private readonly parentInformer: InformerGroup;
  private readonly childInformers: InformerGroup[] = [];
  /** Related types and indexes (`related-sources.ts`). */
  readonly related: RelatedSources;
  private readonly log: Logger;
  private synced = false;
  /** The latest 401 refusal of a sync, until a sync succeeds (see `credentialsRefused`). */
  private refused: CredentialsRefused | undefined;
  private lastSyncAt: Date | undefined;
  private lastErrorAt: Date | undefined;
  /** Failed syncs per parent key since the parent appeared (for tests and status endpoints). */
  private readonly errorCounts = new Map<string, number>();
  /** Parent keys whose latest sync failed (cleared by a successful sync or the parent's deletion). */
  private readonly failing = new Set<string>();
  /** Why each queued parent will be synced (the queue keeps keys only). */
  private readonly reasons = new SyncReasons();

  constructor(
    readonly spec: ControllerSpec,
    handler: SnapshotHandler,
    private readonly deps: ControllerDeps,
  ) {
    this.log = deps.logger.child({ operator: spec.name });
    // The scope: one list+watch per namespace when the operator has namespaces, the parents its
    // label selector matches.
    this.parentInformer = deps.informers.groupFor(spec.parent, {
      ...(spec.parent.namespaced && spec.namespaces ? { namespaces: spec.namespaces } : {}),
      ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
      fieldManagers: [spec.fieldManager],
    });
    const children = new Map<string, ChildSource>();
    for (const child of spec.children) {
      // A namespaced parent's children live in its namespace; a cluster-scoped parent's anywhere.
      const namespaces = spec.parent.namespaced && child.resource.namespaced ? spec.namespaces : undefined;
      const informer = deps.informers.groupFor(child.resource, {
        ...(namespaces ? { namespaces } : {}),
        labelSelector: spec.trackingLabel ?? TRACKING_LABEL,
        indexLabels: [spec.trackingLabel ?? TRACKING_LABEL],
        fieldManagers: [spec.fieldManager],
      });
      this.childInformers.push(informer);
      children.set(typeKey(child.resource.apiVersion, child.resource.kind), {
        resource: child.resource,
        strategy: child.strategy,
        adopt: child.adopt,
        store: informer.store,
        onWritten: (obj) => informer.recordWrite(obj),
        onDeleted: (obj) => informer.recordDelete(obj),
      });
    }
    this.related = new RelatedSources(spec, {
      informers: deps.informers,
      logger: this.log,
      parentInformer: this.parentInformer,
      childInformers: this.childInformers,
      enqueue: (key, event) =>
        this.enqueue(
          key,
          event.initialList ? { kind: "existing" } : { kind: "related-changed", object: objectRef(event.object), event: event.type },
          priorityOf(event),
        ),
    });
    this.reconciler = new Reconciler({
      spec,
      client: deps.client,
      handler,
      parents: this.parentInformer,
      children,
      logger: this.log,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.events ? { events: deps.events } : {}),
      ...(deps.mayWrite ? { mayWrite: deps.mayWrite } : {}),
      requeue: (key) => this.enqueue(key, { kind: "requeue" }),
      // Without related types or indexes the snapshot stays as it was: nothing to add per sync.
      ...(spec.related?.length || spec.indexes?.length ? { relatedOf: (parent: KubeObject) => this.related.snapshotOf(parent) } : {}),
    });
    this.queue = new WorkQueue<string>({
      name: spec.name,
      concurrency: spec.concurrency,
      backoff: spec.backoff,
      process: (key, signal) => this.process(key, signal),
      onError: (key, _error, failures, retryInMs) => this.log.debug("sync will be retried", { parent: key, failures, retryInMs }),
      logger: this.log,
      ...(deps.metrics ? { onMetrics: deps.metrics.queueHooks(spec.name) } : {}),
    });
    this.parentInformer.on((event) => this.onParentEvent(event));
    const childEvents = childEventMapper({
      parent: spec.parent,
      operator: spec.name,
      ...(spec.namespaces ? { namespaces: spec.namespaces } : {}),
    });
    for (const informer of this.childInformers) this.watch(informer, childEvents);
  }

  /**
   * Waits for its own caches (never the rest of the pool: another operator's child type that
   * cannot sync must not stall this one), then processes keys until `signal` aborts and in-flight
   * syncs finish. The manager bounds the wait (`controllerRunnable`).
   */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await Promise.all(this.informers.map((informer) => informer.waitForSync(signal)));
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    if (signal.aborted) return;
    this.synced = true;
    this.deps.metrics?.controllerStarted(this.spec.name, this.spec.concurrency);
    this.log.info("caches synced; starting workers", { concurrency: this.spec.concurrency, parents: this.parentInformer.store.size });
    // While a cache this controller reads is behind (its watch broke or answered 410, and it has
    // not listed again), syncs would read old objects and their writes draw 409s: hold them. Once
    // every cache is current again, the syncs that failed meanwhile retry at once (with a little
    // jitter), not when the backoff and the retry bucket that the outage built up allow. Only after
    // an outage (the cluster was down and came back): a watch cut on a working cluster (a proxy's
    // idle timeout: one failure, "degraded" until the next answer) must not reset the backoff of a
    // parent whose handler keeps failing.
    let recoveredWhileHeld = false;
    const holdWhileBehind = (): void => {
      const behind = this.informers.filter((informer) => !informer.isCurrent());
      if (behind.length > 0 && !this.queue.isPaused) {
        this.queue.pause();
        this.log.info("holding syncs until the caches have listed again", { informers: behind.map((i) => i.type.plural) });
      } else if (behind.length === 0 && this.queue.isPaused) {
        this.queue.resume();
        const woken = recoveredWhileHeld ? this.queue.retryFailedSoon() : 0;
        recoveredWhileHeld = false;
        this.log.info("caches listed again: syncs resume", { retryingFailed: woken });
      }
    };
    const unsubscribers = this.informers.map((informer) => informer.onCurrentChange(holdWhileBehind));
    // The cluster came back (e.g. after failed writes while the watches held): the syncs that
    // failed meanwhile retry now, unless a cache is behind (then they retry once it has listed).
    unsubscribers.push(
      this.deps.client.clusterHealth.onRecovered((from) => {
        if (from !== "down") return;
        if (this.queue.isPaused) {
          recoveredWhileHeld = true;
          return;
        }
        const woken = this.queue.retryFailedSoon();
        if (woken > 0) this.log.info("the API server is back: retrying failed syncs now", { parents: woken });
      }),
    );
    holdWhileBehind();
    try {
      await this.queue.start(signal);
    } finally {
      for (const unsubscribe of unsubscribers) unsubscribe();
    }
  }

  /** Resolves when no key is queued or in flight (delayed resyncs do not count). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The children of a parent in the caches, as its next sync would see them. */
  childrenOf(parent: KubeObject): KubeObject[] {
    return this.reconciler.childrenOf(parent);
  }

  /**
   * The informers this controller reads: its parent's first (one per namespace of its scope), then
   * its child types', then its related types' and indexes'.
   */
  get informers(): readonly Informer[] {
    return [...new Set([this.parentInformer, ...this.childInformers, ...this.related.groups].flatMap((group) => group.informers))];
  }

  /** The parent cache (over every namespace of the operator's scope). */
  get parents(): InformerGroup {
    return this.parentInformer;
  }

  /** How many syncs of the parent with work-queue key `key` have failed. */
  errorCount(key: string): number {
    return this.errorCounts.get(key) ?? 0;
  }

  /**
   * The API server's latest refusal of this operator's credentials (a sync failed with 401), kept
   * until a sync succeeds; undefined when none. Readiness is red while it is set.
   */
  credentialsRefused(): CredentialsRefused | undefined {
    return this.refused;
  }

  private noteCredentials(result: ReconcileResult): void {
    if (result.kind === "done" || result.kind === "requeue") {
      this.refused = undefined;
      return;
    }
    if (result.kind !== "failed" && result.kind !== "terminal") return;
    const refusal = unauthorizedIn(result.error);
    if (!refusal) return;
    if (!this.refused)
      this.log.error("the API server refuses this operator's credentials (401): a revoked or expired token?", { err: refusal });
    this.refused = { since: this.refused?.since ?? new Date(), message: refusal.message };
  }

  /** The work-queue keys of the parents whose latest sync failed. */
  failingKeys(): string[] {
    return [...this.failing];
  }

  state(): ControllerState {
    const state: ControllerState = {
      name: this.spec.name,
      synced: this.synced,
      queueDepth: this.queue.depth,
      inFlight: this.queue.inFlight,
      delayed: this.queue.delayedCount,
    };
    if (this.lastSyncAt) state.lastSyncAt = this.lastSyncAt;
    if (this.lastErrorAt) state.lastErrorAt = this.lastErrorAt;
    return state;
  }

  /** One reconcile of `key`; its result decides (purely: reconcile-result.ts) the queue action, metrics and counts. */
  private async process(key: string, signal: AbortSignal): Promise<QueueAction> {
    const started = performance.now();
    const request = requestFromKey(key);
    this.deps.metrics?.activeWorkers(this.spec.name, 1);
    let result: ReconcileResult;
    try {
      result = await this.reconciler.reconcile(request, signal, this.reasons.take(key, this.queue.failures(key)));
    } catch (error) {
      result = resultOfError(error); // not expected: the reconciler returns failures as results
    } finally {
      this.deps.metrics?.activeWorkers(this.spec.name, -1);
    }
    const decision = reconcileDecisionOf(result);
    this.noteCredentials(result);
    if (decision.failure) {
      this.lastErrorAt = new Date();
      // Counted only while the parent exists: a sync that was in flight when its parent was
      // deleted must not re-create the entries the DELETED event removed.
      if (this.parentInformer.store.get(request.namespace, request.name)) {
        this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1);
        this.failing.add(key);
      }
    } else if (decision.metric !== "requeue") {
      this.lastSyncAt = new Date();
      this.failing.delete(key);
    }
    this.deps.metrics?.reconcileDone(this.spec.name, decision.metric, (performance.now() - started) / 1000);
    if (decision.terminal) this.deps.metrics?.terminalError(this.spec.name);
    return decision.queue;
  }

  private onParentEvent(event: StoreEvent): void {
    const mapped = mapParentEvent(event);
    const key = requestKey(mapped.request);
    if (mapped.action === "forget") {
      this.queue.forget(key);
      this.reasons.forget(key);
      this.errorCounts.delete(key);
      this.failing.delete(key);
    } else if (mapped.action === "enqueue") {
      // ADDED by the informer's first list: the parent existed already (a start, a restart, a new leader).
      const kind = event.type === "ADDED" ? (event.initialList ? "existing" : "created") : "changed";
      this.enqueue(key, { kind }, priorityOf(event));
    }
  }

  /** Queues `key` and notes why (the sync that takes the key reads it as `req.reason`). */
  private enqueue(key: string, trigger: SyncTrigger, priority?: number): void {
    if (this.queue.isShutdown) return;
    this.reasons.note(key, trigger);
    this.queue.add(key, priority);
  }

  /** Queues the requests `mapper` makes of every event of `informer`: how any event source plugs in. */
  private watch(informer: InformerGroup, mapper: EventMapper): void {
    informer.on((event) => {
      const requests = mapper(event);
      if (requests.length === 0) return;
      // A child event of the first list is part of what already existed.
      const trigger: SyncTrigger = event.initialList
        ? { kind: "existing" }
        : { kind: "child-changed", object: objectRef(event.object), event: event.type };
      const priority = priorityOf(event);
      for (const request of requests) this.enqueue(requestKey(request), trigger, priority);
    });
  }
}

/**
 * The queue priority of an event: the initial list's events (what existed when the informer
 * started) go behind live changes, so a parent changed right after a restart does not wait for
 * the whole backlog (controller-runtime's priority queue does the same).
 */
export function priorityOf(event: StoreEvent): number {
  return event.initialList ? QueuePriority.low : QueuePriority.normal;
}

/** The reference of an event's object that a trigger carries. */
function objectRef(obj: KubeObject): NonNullable<SyncTrigger["object"]> {
  const namespace = obj.metadata?.namespace;
  return { kind: String(obj.kind ?? ""), name: obj.metadata?.name ?? "", ...(namespace ? { namespace } : {}) };
}
