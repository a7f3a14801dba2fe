import type { KubeClient } from "../kube/client.js";
import { splitApiVersion } from "../kube/paths.js";
import type { KubeObject } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import { objectKey, typeKey } from "./child-identity.js";
import { deepEqual } from "../core/deep-equal.js";
import type { ControllerSpec, SnapshotHandler } from "./controller-spec.js";
import type { InformerPool } from "../cache/informer-pool.js";
import type { Informer } from "../cache/informer.js";
import { TRACKING_LABEL, controllerOf } from "./ownership.js";
import { Reconciler, type ChildSource, type EventSink } from "./reconciler.js";
import { WorkQueue } from "./work-queue.js";

/** What a controller needs from the process it runs in. */
export interface ControllerDeps {
  client: KubeClient;
  informers: InformerPool;
  logger: Logger;
  metrics?: Metrics;
  events?: EventSink;
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
 * One operator at run time: maps informer events to parent keys, feeds them through a work queue
 * and reconciles each key with the `Reconciler`.
 *
 * Events map to parents this way: a parent's own events (except status-only changes, which our
 * own status writes cause), and every event of a child whose controller ownerReference points at
 * a parent of this operator.
 */
export class Controller {
  readonly queue: WorkQueue<string>;
  private readonly reconciler: Reconciler;
  private readonly parentInformer: Informer;
  private readonly childInformers: Informer[] = [];
  private readonly log: Logger;
  private synced = false;
  private lastSyncAt: Date | undefined;
  private lastErrorAt: Date | undefined;
  /** Failed syncs per parent key since the parent appeared (for tests and status endpoints). */
  private readonly errorCounts = new Map<string, number>();

  constructor(readonly spec: ControllerSpec, handler: SnapshotHandler, private readonly deps: ControllerDeps) {
    this.log = deps.logger.child({ operator: spec.name });
    this.parentInformer = deps.informers.informerFor(spec.parent, {
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      fieldManagers: [spec.fieldManager],
    });
    const children = new Map<string, ChildSource>();
    for (const child of spec.children) {
      // A namespaced parent's children live in its namespace; a cluster-scoped parent's anywhere.
      const namespace = spec.parent.namespaced && child.resource.namespaced ? spec.namespace : undefined;
      const informer = deps.informers.informerFor(child.resource, {
        ...(namespace ? { namespace } : {}),
        labelSelector: TRACKING_LABEL,
        indexLabels: [TRACKING_LABEL],
        fieldManagers: [spec.fieldManager],
      });
      this.childInformers.push(informer);
      children.set(typeKey(child.resource.apiVersion, child.resource.kind), {
        resource: child.resource,
        strategy: child.strategy,
        store: informer.store,
        onWritten: (obj) => informer.upsertFromWrite(obj),
        onDeleted: (obj) => informer.store.removeFromWrite(obj.metadata?.namespace, obj.metadata?.name ?? "", obj.metadata?.resourceVersion),
      });
    }
    this.reconciler = new Reconciler({
      spec,
      client: deps.client,
      handler,
      parents: this.parentInformer.store,
      children,
      logger: this.log,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.events ? { events: deps.events } : {}),
    });
    this.queue = new WorkQueue<string>({
      name: spec.name,
      concurrency: spec.concurrency,
      backoff: spec.backoff,
      process: (key, signal) => this.process(key, signal),
      onError: (key, _error, failures, retryInMs) =>
        this.log.debug("sync will be retried", { parent: key, failures, retryInMs }),
      logger: this.log,
      ...(deps.metrics ? { onMetrics: deps.metrics.queueHooks(spec.name) } : {}),
    });
    this.parentInformer.on((event) => this.onParentEvent(event.type, event.object, event.oldObject));
    for (const informer of this.childInformers) informer.on((event) => this.onChildEvent(event.object));
  }

  /** Waits for the caches, then processes keys until `signal` aborts and in-flight syncs finish. */
  async run(signal: AbortSignal): Promise<void> {
    await this.deps.informers.waitForSync(signal);
    if (signal.aborted) return;
    this.synced = true;
    this.deps.metrics?.controllerStarted(this.spec.name, this.spec.concurrency);
    this.log.info("caches synced; starting workers", { concurrency: this.spec.concurrency, parents: this.parentInformer.store.size });
    await this.queue.start(signal);
  }

  /** Resolves when no key is queued or in flight (delayed resyncs do not count). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** The children of a parent in the caches, as its next sync would see them. */
  childrenOf(parent: KubeObject): KubeObject[] {
    return this.reconciler.childrenOf(parent);
  }

  /** The parent cache. */
  get parents(): Informer {
    return this.parentInformer;
  }

  /** How many syncs of the parent with work-queue key `key` have failed. */
  errorCount(key: string): number {
    return this.errorCounts.get(key) ?? 0;
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

  private async process(key: string, signal: AbortSignal) {
    const started = performance.now();
    const done = (result: "success" | "requeue_after" | "error") => {
      if (result === "error") {
        this.lastErrorAt = new Date();
        this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1);
      } else {
        this.lastSyncAt = new Date();
      }
      this.deps.metrics?.reconcileDone(this.spec.name, result, (performance.now() - started) / 1000);
    };
    this.deps.metrics?.activeWorkers(this.spec.name, 1);
    try {
      const result = await this.reconciler.reconcile(key, signal);
      // Failed, but an error handler chose the retry time: still a failure for metrics and counts.
      done(result.failed !== undefined ? "error" : result.requeueAfterMs !== undefined ? "requeue_after" : "success");
      return result.requeueAfterMs === undefined ? {} : { requeueAfterMs: result.requeueAfterMs };
    } catch (error) {
      done("error");
      throw error;
    } finally {
      this.deps.metrics?.activeWorkers(this.spec.name, -1);
    }
  }

  private onParentEvent(type: string, obj: KubeObject, old: KubeObject | undefined): void {
    const key = objectKey(obj.metadata?.namespace, obj.metadata?.name ?? "");
    if (type === "DELETED") {
      this.queue.forget(key);
      this.errorCounts.delete(key);
      return;
    }
    if (type === "MODIFIED" && old && onlyStatusChanged(old, obj)) return;
    this.queue.add(key);
  }

  private onChildEvent(obj: KubeObject): void {
    const ref = controllerOf(obj);
    if (!ref || ref.kind !== this.spec.parent.kind || splitApiVersion(ref.apiVersion).group !== this.spec.parent.group) return;
    const namespace = this.spec.parent.namespaced ? obj.metadata?.namespace : undefined;
    if (this.spec.namespace && namespace !== this.spec.namespace) return;
    this.queue.add(objectKey(namespace, ref.name));
  }
}

/**
 * True when two versions of a parent differ only in status and server bookkeeping. Our own status
 * writes cause such events; reacting to them would run every sync twice (Kopf and
 * controller-runtime's GenerationChangedPredicate skip them too).
 */
export function onlyStatusChanged(old: KubeObject, cur: KubeObject): boolean {
  for (const key of new Set([...Object.keys(old), ...Object.keys(cur)])) {
    if (key === "status" || key === "metadata") continue;
    if (!deepEqual(old[key], cur[key])) return false;
  }
  const a = old.metadata ?? {};
  const b = cur.metadata ?? {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === "resourceVersion" || key === "managedFields") continue;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
