/**
 * `ClusterHealth`: what every informer and writer of one cluster (one `KubeClient`) learns about
 * the API server, shared. It runs the pure machine of `cluster-health-state.ts`: the transport
 * feeds it each request's outcome; while the cluster is believed degraded or down it sends one
 * cheap probe (`GET /readyz`, readable by any user through the default `system:public-info-viewer`
 * role) on its own short backoff (<= 1 s); the first success, probe or request, wakes every loop
 * waiting in {@link ClusterHealth.waitForRetry} at once, each after a small random delay (0-250 ms)
 * so they do not all land in the same instant.
 *
 * Guarantees: at most one probe in flight; no timer keeps the process alive; after `close()` no
 * probe runs and waiting loops keep their own timers.
 */
import {
  DEFAULT_CLUSTER_HEALTH_OPTIONS,
  initialClusterHealth,
  stepClusterHealth,
  type ClusterHealthInput,
  type ClusterHealthKind,
  type ClusterHealthOptions,
  type ClusterHealthState,
  type RequestOutcome,
} from "./cluster-health-state.js";

/** How a woken or elapsed wait ended. */
export type RetryWaitResult = "elapsed" | "woken" | "aborted";

/** Shared health of one cluster; see the module comment. */
export class ClusterHealth {
  private state: ClusterHealthState;
  private readonly options: ClusterHealthOptions;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly recoveryListeners = new Set<(from: ClusterHealthKind) => void>();

  constructor(
    private readonly probe: () => Promise<boolean>,
    options: Partial<ClusterHealthOptions> = {},
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...DEFAULT_CLUSTER_HEALTH_OPTIONS, ...options };
    this.state = initialClusterHealth(now());
  }

  /** healthy, degraded or down. */
  get kind(): ClusterHealthKind {
    return this.state.kind;
  }

  /** When the cluster last came back (ms since the epoch); undefined when it never failed. */
  get recoveredAt(): number | undefined {
    return this.state.recoveredAt;
  }

  /** A copy of the machine's state (for logs and tests). */
  snapshot(): ClusterHealthState {
    return { ...this.state };
  }

  /** Feeds one request outcome (undefined outcomes say nothing and are ignored). */
  record(outcome: RequestOutcome): void {
    if (outcome === undefined) return;
    this.apply({ type: outcome === "succeeded" ? "requestSucceeded" : "requestFailed" });
  }

  /**
   * Calls `listener` each time the cluster comes back, with what it came back from: `down` (an
   * outage) or `degraded` (a failure or two, e.g. one watch connection cut, that the next answer
   * cleared). Returns the unsubscribe function.
   */
  onRecovered(listener: (from: ClusterHealthKind) => void): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /**
   * Waits `ms` (a loop's own backoff), or less when the cluster comes back meanwhile: then it
   * resolves after a random 0..wakeJitterMs. Resolves "aborted" at once when `signal` aborts.
   */
  waitForRetry(ms: number, signal?: AbortSignal): Promise<RetryWaitResult> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve("aborted");
      let jitterTimer: NodeJS.Timeout | undefined;
      const finish = (result: RetryWaitResult): void => {
        clearTimeout(timer);
        clearTimeout(jitterTimer);
        this.waiters.delete(wake);
        signal?.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const onAbort = (): void => finish("aborted");
      const wake = (): void => {
        this.waiters.delete(wake);
        jitterTimer = setTimeout(() => finish("woken"), Math.floor(this.random() * this.options.wakeJitterMs));
      };
      const timer = setTimeout(() => finish("elapsed"), ms);
      this.waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Stops probing (the client is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private apply(input: ClusterHealthInput): void {
    const from = this.state.kind;
    const step = stepClusterHealth(this.state, input, this.now(), this.options);
    this.state = step.state;
    if (step.probeAfterMs !== undefined) this.scheduleProbe(step.probeAfterMs);
    if (step.wake) {
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      for (const wake of [...this.waiters]) wake();
      for (const listener of [...this.recoveryListeners]) {
        try {
          listener(from);
        } catch {
          // A listener must not break the health bookkeeping.
        }
      }
    }
  }

  private scheduleProbe(delayMs: number): void {
    if (this.closed || this.probing) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.runProbe(), delayMs);
    this.probeTimer.unref();
  }

  private async runProbe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.closed || this.state.kind === "healthy") return;
    this.probing = true;
    let ok = false;
    try {
      ok = await this.probe();
    } catch {
      ok = false;
    } finally {
      this.probing = false;
    }
    if (this.closed) return;
    this.apply({ type: ok ? "probeSucceeded" : "probeFailed" });
  }
}
