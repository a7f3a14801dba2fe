/**
 * client-go's work queue metrics (`workqueue_*{name}`), fed by the callbacks a WorkQueue calls.
 *
 * `workqueue_unfinished_work_seconds` and `workqueue_longest_running_processor_seconds` are
 * computed at scrape time from the start times of the items in flight, instead of client-go's
 * 500 ms ticker: no timer to stop, and always exact when read.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { reuseOrCreate } from "./reuse-metric.js";

/**
 * What a WorkQueue reports, one object per queue (from `Metrics.queueHooks(name)`).
 * All callbacks are cheap and never throw.
 */
export interface WorkQueueMetricsHooks {
  /** A key was added to the queue (not counted when it coalesced with a key already waiting). */
  add(): void;
  /** The number of keys now waiting (not in flight, not delayed). */
  depth(n: number): void;
  /** A worker took `key` after it waited `queuedSeconds` in the queue. */
  start(key: string, queuedSeconds: number): void;
  /** The worker that took `key` finished with it (success or failure). */
  done(key: string): void;
  /** `key` was re-queued with backoff after a failure. */
  retry(): void;
}

/** client-go's buckets for queue and work durations: 10^-8 … 10^3 seconds. */
const DURATION_BUCKETS = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

/** Holds the `workqueue_*` series of one registry and the in-flight items of each queue. */
export class WorkQueueMetricsRecorder {
  private readonly depthGauge: Gauge<"name">;
  private readonly adds: Counter<"name">;
  private readonly queueDuration: Histogram<"name">;
  private readonly workDuration: Histogram<"name">;
  private readonly retries: Counter<"name">;
  /** Per queue name: key -> time (performance.now ms) its processing started. */
  private readonly inFlight = new Map<string, Map<string, number>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ["name"] as const;
    this.depthGauge = reuseOrCreate(
      registry,
      "workqueue_depth",
      () => new Gauge({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames, registers }),
    );
    this.adds = reuseOrCreate(
      registry,
      "workqueue_adds_total",
      () => new Counter({ name: "workqueue_adds_total", help: "Total number of adds handled by workqueue", labelNames, registers }),
    );
    this.queueDuration = reuseOrCreate(
      registry,
      "workqueue_queue_duration_seconds",
      () =>
        new Histogram({
          name: "workqueue_queue_duration_seconds",
          help: "How long in seconds an item stays in workqueue before being requested",
          labelNames,
          buckets: DURATION_BUCKETS,
          registers,
        }),
    );
    this.workDuration = reuseOrCreate(
      registry,
      "workqueue_work_duration_seconds",
      () =>
        new Histogram({
          name: "workqueue_work_duration_seconds",
          help: "How long in seconds processing an item from workqueue takes.",
          labelNames,
          buckets: DURATION_BUCKETS,
          registers,
        }),
    );
    this.retries = reuseOrCreate(
      registry,
      "workqueue_retries_total",
      () => new Counter({ name: "workqueue_retries_total", help: "Total number of retries handled by workqueue", labelNames, registers }),
    );
    const inFlight = this.inFlight;
    reuseOrCreate(
      registry,
      "workqueue_unfinished_work_seconds",
      () =>
        new Gauge({
          name: "workqueue_unfinished_work_seconds",
          help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
          labelNames,
          registers,
          collect() {
            const now = performance.now();
            for (const [name, items] of inFlight) {
              let total = 0;
              for (const started of items.values()) total += now - started;
              this.set({ name }, total / 1000);
            }
          },
        }),
    );
    reuseOrCreate(
      registry,
      "workqueue_longest_running_processor_seconds",
      () =>
        new Gauge({
          name: "workqueue_longest_running_processor_seconds",
          help: "How many seconds has the longest running processor for workqueue been running.",
          labelNames,
          registers,
          collect() {
            const now = performance.now();
            for (const [name, items] of inFlight) {
              let oldest = now;
              for (const started of items.values()) oldest = Math.min(oldest, started);
              this.set({ name }, (now - oldest) / 1000);
            }
          },
        }),
    );
  }

  /** The callbacks of the queue `name`; its series appear (at 0) from this call on. */
  hooks(name: string): WorkQueueMetricsHooks {
    let items = this.inFlight.get(name);
    if (!items) {
      items = new Map();
      this.inFlight.set(name, items);
    }
    const running = items;
    this.depthGauge.set({ name }, 0);
    this.adds.inc({ name }, 0);
    this.retries.inc({ name }, 0);
    return {
      add: () => this.adds.inc({ name }),
      depth: (n) => this.depthGauge.set({ name }, n),
      start: (key, queuedSeconds) => {
        this.queueDuration.observe({ name }, Math.max(0, queuedSeconds));
        running.set(key, performance.now());
      },
      done: (key) => {
        const started = running.get(key);
        if (started === undefined) return;
        running.delete(key);
        this.workDuration.observe({ name }, (performance.now() - started) / 1000);
      },
      retry: () => this.retries.inc({ name }),
    };
  }
}
