/**
 * The runtime's Prometheus metrics, under controller-runtime's names so that existing Grafana
 * dashboards for Go operators work unchanged, plus tsoperator's own `tsoperator_*` series.
 *
 * The runtime calls the typed methods of {@link Metrics} and never touches prom-client. Each
 * `Metrics` owns a registry (its own, or one the user passes) rather than prom-client's global
 * default, so two runtimes in one process (tests, a multi-operator binary) do not collide.
 *
 * @example
 * ```ts
 * const metrics = new Metrics();
 * const queue = new WorkQueue({ ..., onMetrics: metrics.queueHooks("echo-server") });
 * const client = KubeClient.fromKubeConfig(kc, { onRequest: metrics.restClientHook() });
 * metrics.reconcileDone("echo-server", "success", 0.012);
 * const text = await metrics.render(); // Prometheus text format
 * ```
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { reuseOrCreate } from "./reuse-metric.js";
import type { RequestEvent } from "../kube/transport.js";
import { WorkQueueMetricsRecorder, type WorkQueueMetricsHooks } from "./workqueue-metrics.js";

export type { WorkQueueMetricsHooks } from "./workqueue-metrics.js";

/** Outcome of one reconcile, the `result` label of `controller_runtime_reconcile_total`. */
export type ReconcileMetricResult = "success" | "error" | "requeue" | "requeue_after";

/** Verbs of child writes, the `verb` label of `tsoperator_child_writes_total`. */
export type ChildWriteVerb = "create" | "apply" | "replace" | "delete" | "adopt";

/**
 * Why a handler failed, the `reason` label of `tsoperator_handler_errors_total`.
 * Open-ended: the listed values are the ones the runtime uses.
 */
export type HandlerErrorReason = "throw" | "timeout" | "invalid_child" | "invalid_response" | "terminal" | (string & {});

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Registry to register into; default: a new one owned by this `Metrics`. */
  registry?: Registry;
  /** Also collect prom-client's process and Node.js metrics (`process_*`, `nodejs_*`). Default true. */
  defaultMetrics?: boolean;
}

/** controller-runtime's buckets for `controller_runtime_reconcile_time_seconds`. */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5,
  4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's buckets for `rest_client_request_duration_seconds`. */
const REST_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0];

/** Typed facade over the runtime's Prometheus series. */
export class Metrics {
  /** The registry holding every series of this runtime; serve it with {@link render}. */
  readonly registry: Registry;

  private readonly reconcileTotal: Counter<"controller" | "result">;
  private readonly reconcileErrors: Counter<"controller">;
  private readonly terminalErrors: Counter<"controller">;
  private readonly reconcileTime: Histogram<"controller">;
  private readonly maxConcurrent: Gauge<"controller">;
  private readonly activeWorkersGauge: Gauge<"controller">;
  private readonly restRequests: Counter<"code" | "method" | "host">;
  private readonly restDuration: Histogram<"verb" | "host">;
  private readonly childWrites: Counter<"controller" | "kind" | "verb">;
  private readonly statusWrites: Counter<"controller">;
  private readonly handlerErrors: Counter<"controller" | "reason">;
  private readonly writeErrors: Counter<"controller" | "write">;
  private readonly watchRestarts: Counter<"resource" | "reason">;
  private readonly informerObjectsGauge: Gauge<"resource" | "cache">;
  private readonly watchProbes: Counter<"resource" | "result">;
  /** Readers of each informer's staleness per resource, polled at scrape time (the stalest wins). */
  private readonly stalenessReaders = new Map<string, Array<() => number>>();
  private readonly concurrencyLimitGauge: Gauge<"host">;
  private readonly leaderStatus: Gauge<"name">;
  private readonly workQueues: WorkQueueMetricsRecorder;
  private readonly webhookRequests: Counter<"webhook" | "code">;
  private readonly webhookLatency: Histogram<"webhook">;
  private readonly webhookInFlight: Gauge<"webhook">;

  constructor(options: MetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const reg = this.registry;
    this.reconcileTotal = counter(reg, "controller_runtime_reconcile_total", "Total number of reconciliations per controller", [
      "controller",
      "result",
    ]);
    this.reconcileErrors = counter(
      reg,
      "controller_runtime_reconcile_errors_total",
      "Total number of reconciliation errors per controller",
      ["controller"],
    );
    this.terminalErrors = counter(
      reg,
      "controller_runtime_terminal_reconcile_errors_total",
      "Total number of terminal reconciliation errors per controller",
      ["controller"],
    );
    this.reconcileTime = histogram(
      reg,
      "controller_runtime_reconcile_time_seconds",
      "Length of time per reconciliation per controller",
      ["controller"],
      RECONCILE_BUCKETS,
    );
    this.maxConcurrent = gauge(
      reg,
      "controller_runtime_max_concurrent_reconciles",
      "Maximum number of concurrent reconciles per controller",
      ["controller"],
    );
    this.activeWorkersGauge = gauge(reg, "controller_runtime_active_workers", "Number of currently used workers per controller", [
      "controller",
    ]);
    this.restRequests = counter(
      reg,
      "rest_client_requests_total",
      "Number of HTTP requests, partitioned by status code, method, and host.",
      ["code", "method", "host"],
    );
    this.restDuration = histogram(
      reg,
      "rest_client_request_duration_seconds",
      "Request latency in seconds. Broken down by verb, and host.",
      ["verb", "host"],
      REST_BUCKETS,
    );
    this.childWrites = counter(reg, "tsoperator_child_writes_total", "Writes of child objects per controller, kind and verb", [
      "controller",
      "kind",
      "verb",
    ]);
    this.statusWrites = counter(reg, "tsoperator_status_writes_total", "Writes of parent status per controller", ["controller"]);
    this.handlerErrors = counter(reg, "tsoperator_handler_errors_total", "Failed sync/finalize handler calls per controller and reason", [
      "controller",
      "reason",
    ]);
    this.writeErrors = counter(reg, "tsoperator_write_errors_total", "Failed writes per controller and write (child, status, finalizer)", [
      "controller",
      "write",
    ]);
    this.watchRestarts = counter(reg, "tsoperator_watch_restarts_total", "Restarts of a watch per resource and reason", [
      "resource",
      "reason",
    ]);
    this.concurrencyLimitGauge = gauge(
      reg,
      "tsoperator_client_concurrency_limit",
      "Requests the kube client lets be in flight to a cluster (adaptive: halved on 429, grows back on success)",
      ["host"],
    );
    this.informerObjectsGauge = gauge(
      reg,
      "tsoperator_informer_objects",
      "Objects held in an informer's cache per resource and cache (several caches of one resource are several series)",
      ["resource", "cache"],
    );
    this.watchProbes = counter(
      reg,
      "tsoperator_watch_probes_total",
      "Watch probes of silent watches per resource and result (quiet, missed, failed)",
      ["resource", "result"],
    );
    const readers = this.stalenessReaders;
    reuseOrCreate(
      reg,
      "tsoperator_informer_staleness_seconds",
      () =>
        new Gauge({
          name: "tsoperator_informer_staleness_seconds",
          help: "Seconds since an informer's last watch event, bookmark, list or quiet watch probe, per resource",
          labelNames: ["resource"],
          registers: [reg],
          collect() {
            for (const [resource, reads] of readers) this.set({ resource }, Math.max(...reads.map((read) => read())));
          },
        }),
    );
    this.leaderStatus = gauge(
      reg,
      "leader_election_master_status",
      "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
      ["name"],
    );
    this.workQueues = new WorkQueueMetricsRecorder(reg);
    if (options.defaultMetrics !== false && !reg.getSingleMetric("process_cpu_seconds_total")) {
      collectDefaultMetrics({ register: reg });
    }
    this.webhookRequests = counter(
      reg,
      "controller_runtime_webhook_requests_total",
      "Total number of admission and conversion requests by webhook path and answer code (200 allowed, 403 denied, 500 handler failure)",
      ["webhook", "code"],
    );
    this.webhookLatency = histogram(
      reg,
      "controller_runtime_webhook_latency_seconds",
      "Histogram of the latency of processing admission and conversion requests",
      ["webhook"],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
    this.webhookInFlight = gauge(reg, "controller_runtime_webhook_requests_in_flight", "Current number of webhook requests being served", [
      "webhook",
    ]);
  }

  /** Records one finished reconcile: its outcome and how long it took. */
  reconcileDone(controller: string, result: ReconcileMetricResult, seconds: number): void {
    this.reconcileTotal.inc({ controller, result });
    this.reconcileTime.observe({ controller }, seconds);
    if (result === "error") this.reconcileErrors.inc({ controller });
  }

  /** Records a reconcile error that will not be retried (e.g. an invalid handler response). */
  terminalError(controller: string): void {
    this.terminalErrors.inc({ controller });
  }

  /**
   * Declares a controller: sets its worker limit and zeroes its series, so dashboards show the
   * controller (with 0s) before its first reconcile.
   */
  controllerStarted(controller: string, maxConcurrentReconciles: number): void {
    this.maxConcurrent.set({ controller }, maxConcurrentReconciles);
    this.activeWorkersGauge.set({ controller }, 0);
    for (const result of ["success", "error", "requeue", "requeue_after"] as const) this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalErrors.inc({ controller }, 0);
  }

  /** Adds `delta` (+1 when a worker starts a reconcile, -1 when it ends) to the active workers. */
  activeWorkers(controller: string, delta: number): void {
    this.activeWorkersGauge.inc({ controller }, delta);
  }

  /** Records one write of a child object. */
  childWrite(controller: string, kind: string, verb: ChildWriteVerb): void {
    this.childWrites.inc({ controller, kind, verb });
  }

  /** Records one write of a parent's status. */
  statusWrite(controller: string): void {
    this.statusWrites.inc({ controller });
  }

  /** Records one failed handler call. */
  handlerError(controller: string, reason: HandlerErrorReason): void {
    this.handlerErrors.inc({ controller, reason });
  }

  /** Records one failed write of the reconciler: a child, the parent's status or its finalizers. */
  writeError(controller: string, write: "child" | "status" | "finalizer"): void {
    this.writeErrors.inc({ controller, write });
  }

  /** Records a watch restart (`reason`: "gone", "error", "closed", "inactivity" or "stale" (a probe found it silent)). */
  watchRestart(resource: string, reason: string): void {
    this.watchRestarts.inc({ resource, reason });
  }

  /** Records one watch probe and its result ("quiet", "missed" or "failed"). */
  watchProbe(resource: string, result: "quiet" | "missed" | "failed"): void {
    this.watchProbes.inc({ resource, result });
  }

  /**
   * Registers the reader of `tsoperator_informer_staleness_seconds{resource}` (seconds since the
   * informer's last sign of life), read at every scrape. With several informers of one resource
   * (one per namespace), the stalest is reported.
   */
  informerStaleness(resource: string, secondsSinceFresh: () => number): void {
    const reads = this.stalenessReaders.get(resource) ?? [];
    reads.push(secondsSinceFresh);
    this.stalenessReaders.set(resource, reads);
  }

  /**
   * Sets `tsoperator_informer_objects{resource,cache}`: how many objects one informer's cache holds.
   * `cache` tells the informers of one resource apart (a child cache and a related cache of one type,
   * one per namespace): without it they would overwrite one series. `sum by (resource)` is what the
   * process holds of a type.
   */
  informerObjects(resource: string, count: number, cache?: string): void {
    this.informerObjectsGauge.set(cache === undefined ? { resource } : { resource, cache }, count);
  }

  /** Sets `leader_election_master_status{name}`: 1 while this process leads the lease, else 0. */
  leading(name: string, isLeader: boolean): void {
    this.leaderStatus.set({ name }, isLeader ? 1 : 0);
  }

  /** The callbacks a WorkQueue named `name` reports through (`workqueue_*{name}`). */
  queueHooks(name: string): WorkQueueMetricsHooks {
    return this.workQueues.hooks(name);
  }

  /**
   * The KubeClient `onRequest` callback: counts every exchange in `rest_client_requests_total`
   * (code "<error>" when no answer came, as client-go) and times non-watch requests in
   * `rest_client_request_duration_seconds` (a watch lasts minutes; its duration is no latency).
   */
  restClientHook(): (event: RequestEvent) => void {
    return (event) => {
      const code = event.code === 0 ? "<error>" : String(event.code);
      this.restRequests.inc({ code, method: event.method.toUpperCase(), host: event.host });
      if (!event.watch) this.restDuration.observe({ verb: event.method.toUpperCase(), host: event.host }, event.durationMs / 1000);
    };
  }

  /** The KubeClient `onConcurrencyLimit` callback: sets `tsoperator_client_concurrency_limit{host}`. */
  concurrencyLimitHook(): (host: string, limit: number) => void {
    return (host, limit) => this.concurrencyLimitGauge.set({ host }, limit);
  }

  /** A webhook request began (`controller_runtime_webhook_requests_in_flight`); call the returned function when answered. */
  webhookRequestStarted(webhook: string): (code: number) => void {
    const started = performance.now();
    this.webhookInFlight.inc({ webhook });
    return (code) => {
      this.webhookInFlight.dec({ webhook });
      this.webhookRequests.inc({ webhook, code: String(code) });
      this.webhookLatency.observe({ webhook }, (performance.now() - started) / 1000);
    };
  }

  /** Every series in the Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of {@link render}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return reuseOrCreate(registry, name, () => new Counter({ name, help, labelNames, registers: [registry] }));
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Gauge<L> {
  return reuseOrCreate(registry, name, () => new Gauge({ name, help, labelNames, registers: [registry] }));
}

function histogram<L extends string>(registry: Registry, name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
  return reuseOrCreate(registry, name, () => new Histogram({ name, help, labelNames, buckets, registers: [registry] }));
}
