/**
 * The running process as users hold it (`runOperators`' result): a thin face over the `Manager`,
 * which owns start and stop. It adds what users and tests read: state, idleness, the port of the
 * probe server, why it stopped, and a narrow read-only view of each operator (`inspect`).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterConfig } from "../kube/cluster-config.js";
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import { objectKey } from "../controller/child-identity.js";
import type { Controller, ControllerState } from "../controller/controller.js";
import type { InformerPool } from "../cache/informer-pool.js";
import type { InformerHealth } from "../cache/informer.js";
import type { Manager } from "../manager/manager.js";
import { controllerCacheWait } from "../manager/runnables.js";

/** One operator's state; `failed` says why it does not run (e.g. its caches never synced). */
export interface OperatorState extends ControllerState {
  failed?: string;
}

/** The runtime's state, for health endpoints, the NestJS status service and tests. */
export interface RuntimeState {
  running: boolean;
  /** Leader election is off, or this process holds the lease. */
  leading: boolean;
  controllers: OperatorState[];
  /** Every informer: its resource, its scope (namespace, label selector) and its health. */
  informers: Array<{ resource: string; namespace?: string; labelSelector?: string } & InformerHealth>;
}

/**
 * A read-only view of one running operator: what its next sync would see and how its parents
 * fare. The supported seam for tests (`TestKit`) and status pages; it never changes the runtime.
 */
export interface OperatorInspection {
  /** The operator's name. */
  readonly name: string;
  /** The parent type, as discovered. */
  readonly parentType: ResourceType;
  /** A parent from the cache (namespace ignored for a cluster-scoped parent). */
  parent(namespace: string | undefined, name: string): KubeObject | undefined;
  /** The children of a parent in the caches, as its next sync would see them. */
  childrenOf(parent: KubeObject): KubeObject[];
  /** How many syncs of the parent have failed since it appeared. */
  errorCount(namespace: string | undefined, name: string): number;
  /** Why the operator does not run, when it does not (e.g. a cache-sync timeout). */
  failure(): string | undefined;
  /** The parents (`namespace/name`, or `name` when cluster-scoped) whose latest sync failed. */
  failingParents(): string[];
  /** The related objects a parent selects in the caches, as its next sync would see them. */
  relatedOf(parent: KubeObject): KubeObject[];
  /** Reads a user-facing index by name, as `req.lookup` does (wire objects). */
  lookup(indexName: string, key: string, namespace?: string): KubeObject[];
  /** Per related type: objects cached, objects selected by some parent, and (object, parent) pairs. */
  relatedStats(): Array<{ kind: string; cached: number; selected: number; edges: number }>;
}

/** The parts a running runtime is made of (wired by `runOperators`). */
export interface RuntimeParts {
  cluster: ClusterConfig;
  registry: TypeRegistry;
  logger: Logger;
  metrics: Metrics;
  informers: InformerPool;
  controllers: Controller[];
  manager: Manager;
  /** The port the health server listens on. */
  healthPort?: number;
  /** The port the webhook server listens on. */
  webhookPort?: number;
}

/**
 * A running set of operators, as returned by `runOperators`. Stop it with `stop()`: in-flight syncs
 * finish (drain), the lease is released, pending Events are written, watches close, the client last.
 */
export class OperatorRuntime {
  private stopping: Promise<void> | undefined;
  private readonly abort = new AbortController();

  /** @internal Built by `runOperators`. */
  constructor(private readonly parts: RuntimeParts) {
    void parts.manager.done.then(() => this.abort.abort(new Error("runtime stopped")));
  }

  /** Resolves when the runtime has stopped (after `stop()`, a signal, SIGTERM, or a lost lease). */
  get done(): Promise<void> {
    return this.parts.manager.done;
  }

  /** The kubeconfig the runtime talks through, as a client-node `KubeConfig` (client-node is loaded on first use). */
  get kubeConfig(): KubeConfig {
    return this.parts.cluster.toKubeConfig();
  }

  /** The cluster configuration the runtime talks through (tsoperator's own; client-node not needed). */
  get clusterConfig(): ClusterConfig {
    return this.parts.cluster;
  }

  /** The metrics of this runtime (a prom-client registry inside). */
  get metrics(): Metrics {
    return this.parts.metrics;
  }

  /** The type registry used to build views. */
  get registry(): TypeRegistry {
    return this.parts.registry;
  }

  /** The port serving /metrics, /health, /healthz and /readyz (undefined when off, or when the default 8080 was taken). */
  get healthPort(): number | undefined {
    return this.parts.healthPort;
  }

  /** The port serving the webhooks (undefined when `RunOptions.webhooks` was empty). */
  get webhookPort(): number | undefined {
    return this.parts.webhookPort;
  }

  /** The signal that aborts once the runtime has stopped. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * True when the runtime stopped because it lost its leader lease (not because it was asked to):
   * a process should then exit non-zero, so that it is restarted and campaigns again.
   */
  get lostLeadership(): boolean {
    return this.parts.manager.lostLeadership;
  }

  /** The names of the operators, in the order given. */
  get operatorNames(): string[] {
    return this.parts.controllers.map((c) => c.spec.name);
  }

  /** A read-only view of one operator (the first when `name` is omitted); throws for an unknown name. */
  inspect(name?: string): OperatorInspection {
    const controllers = this.parts.controllers;
    const c = name ? controllers.find((x) => x.spec.name === name) : controllers[0];
    if (!c) throw new Error(`no operator named ${name}; running: ${this.operatorNames.join(", ")}`);
    const ns = (namespace: string | undefined) => (c.spec.parent.namespaced ? namespace : undefined);
    return {
      name: c.spec.name,
      parentType: c.spec.parent,
      parent: (namespace, parentName) => c.parents.store.get(ns(namespace), parentName),
      childrenOf: (parent) => c.childrenOf(parent),
      errorCount: (namespace, parentName) => c.errorCount(objectKey(ns(namespace), parentName)),
      failure: () => this.failureOf(c),
      failingParents: () => c.failingKeys(),
      relatedOf: (parent) => c.related.relatedOf(parent),
      lookup: (indexName, key, namespace) => c.related.lookup(indexName, key, namespace),
      relatedStats: () => c.related.stats(),
    };
  }

  /** Stops: no new syncs, in-flight ones finish, the lease is released, watches close. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.parts.logger.info("stopping operators");
      this.stopping = this.parts.manager.stop();
    }
    return this.stopping;
  }

  /** Resolves when no sync is queued or running in any operator (delayed resyncs do not count). */
  async idle(): Promise<void> {
    await Promise.all(this.parts.controllers.map((c) => c.idle()));
  }

  /** A snapshot of the runtime's state. */
  state(): RuntimeState {
    return {
      running: !this.abort.signal.aborted && this.stopping === undefined,
      leading: this.parts.manager.leading,
      controllers: this.parts.controllers.map((c) => {
        const failed = this.failureOf(c);
        return { ...c.state(), ...(failed ? { failed } : {}) };
      }),
      informers: this.parts.informers
        .all()
        .map((i) => ({ resource: i.type.group ? `${i.type.plural}.${i.type.group}` : i.type.plural, ...i.scope, ...i.health() })),
    };
  }

  /** Per-runnable readiness, as `/readyz?verbose` shows it. */
  readiness(): Array<{ name: string; ok: boolean; detail?: string }> {
    return this.parts.manager.readiness();
  }

  private failureOf(c: Controller): string | undefined {
    const failure = this.parts.manager.failures().find((f) => f.name === `controller:${c.spec.name}`);
    // Waiting for its caches past the timeout: it does not run (yet), though it starts once they list.
    if (!failure) return controllerCacheWait(c)?.message;
    return failure.error instanceof Error ? failure.error.message : String(failure.error);
  }
}
