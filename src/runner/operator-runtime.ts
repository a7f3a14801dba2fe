import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient } from "../kube/client.js";
import type { Logger } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { HealthServer } from "../observability/health-server.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import type { Controller, ControllerState } from "../controller/controller.js";
import type { InformerPool } from "../cache/informer-pool.js";
import type { InformerHealth } from "../cache/informer.js";
import { LeaderElector } from "../manager/leader-election.js";
import type { LeaderElectionOptions } from "./run-options.js";

/** The runtime's state, for health endpoints, the NestJS status service and tests. */
export interface RuntimeState {
  running: boolean;
  /** Leader election is off, or this process holds the lease. */
  leading: boolean;
  controllers: ControllerState[];
  informers: Array<{ resource: string } & InformerHealth>;
}

/** The parts a running runtime is made of (wired by `runOperators`). */
export interface RuntimeParts {
  kubeConfig: KubeConfig;
  client: KubeClient;
  registry: TypeRegistry;
  logger: Logger;
  metrics: Metrics;
  informers: InformerPool;
  controllers: Controller[];
  /** Run controllers only while holding this Lease. */
  leaderElection?: Required<Pick<LeaderElectionOptions, "namespace" | "name">> & LeaderElectionOptions;
  health?: HealthServer;
  /** The port the health server listens on. */
  healthPort?: number;
}

/**
 * A running set of operators, as returned by `runOperators`. Stop it with `stop()`: in-flight syncs
 * finish (drain), watches close, the lease is released.
 */
export class OperatorRuntime {
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;
  private leading = false;
  private lostLease = false;
  /** Resolves when the runtime has stopped (after `stop()`, a signal, or SIGTERM). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly parts: RuntimeParts) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** The kubeconfig the runtime talks through. */
  get kubeConfig(): KubeConfig {
    return this.parts.kubeConfig;
  }

  /** The metrics of this runtime (a prom-client registry inside). */
  get metrics(): Metrics {
    return this.parts.metrics;
  }

  /** The type registry used to build views. */
  get registry(): TypeRegistry {
    return this.parts.registry;
  }

  /** The port serving /metrics, /healthz and /readyz (undefined when `healthPort` was not set). */
  get healthPort(): number | undefined {
    return this.parts.healthPort;
  }

  /** The signal that aborts when the runtime stops. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** @internal The controllers, one per operator. */
  get controllers(): readonly Controller[] {
    return this.parts.controllers;
  }

  /** @internal Starts informers and (when leading) controllers; resolves once caches are synced. */
  async start(): Promise<void> {
    const signal = this.abort.signal;
    const { informers, controllers, leaderElection, logger } = this.parts;
    const informersDone = informers.run(signal);
    const runControllers = (s: AbortSignal) => Promise.all(controllers.map((c) => c.run(s))).then(() => undefined);
    let controllersDone: Promise<unknown>;
    if (leaderElection) {
      const elector = new LeaderElector({
        client: this.parts.client,
        namespace: leaderElection.namespace,
        name: leaderElection.name,
        ...(leaderElection.identity ? { identity: leaderElection.identity } : {}),
        ...(leaderElection.leaseDurationSeconds ? { leaseDurationMs: leaderElection.leaseDurationSeconds * 1000 } : {}),
        ...(leaderElection.renewDeadlineSeconds ? { renewDeadlineMs: leaderElection.renewDeadlineSeconds * 1000 } : {}),
        ...(leaderElection.retryPeriodSeconds ? { retryPeriodMs: leaderElection.retryPeriodSeconds * 1000 } : {}),
        metrics: this.parts.metrics,
        logger,
        onStartedLeading: (leaderSignal: AbortSignal) => {
          this.leading = true;
          return runControllers(leaderSignal);
        },
        onStoppedLeading: () => {
          this.leading = false;
          if (!signal.aborted) {
            // controller-runtime exits when it loses the lease: a new leader may already act, and
            // a clean restart is the only way to be sure this process does not act too.
            logger.error("lost the leader lease; stopping");
            this.lostLease = true;
            void this.stop();
          }
        },
      });
      controllersDone = elector.run(signal);
    } else {
      this.leading = true;
      controllersDone = runControllers(signal);
    }
    void Promise.allSettled([informersDone, controllersDone]).then(async () => {
      await this.parts.health?.stop();
      await this.parts.client.close();
      this.resolveDone();
    });
    await informers.waitForSync(signal);
  }

  /**
   * True when the runtime stopped because it lost its leader lease (not because it was asked to):
   * a process should then exit non-zero, so that it is restarted and campaigns again.
   */
  get lostLeadership(): boolean {
    return this.lostLease;
  }

  /** Stops: no new syncs, in-flight ones finish, watches close. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.parts.logger.info("stopping operators");
      this.abort.abort(new Error("runtime stopped"));
      this.stopping = this.done;
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
      running: !this.abort.signal.aborted,
      leading: this.leading,
      controllers: this.parts.controllers.map((c) => c.state()),
      informers: this.parts.informers.all().map((i) => ({ resource: i.type.group ? `${i.type.plural}.${i.type.group}` : i.type.plural, ...i.health() })),
    };
  }
}
