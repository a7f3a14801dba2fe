/**
 * The work queue between events and reconciles (client-go's workqueue semantics, one class).
 *
 * Guarantees:
 * - coalescing: a key waits in the queue at most once, however often it is added;
 * - per-key serialization: a key is never processed by two workers at once; adds that arrive
 *   while it is processed coalesce into exactly one more run after the current one;
 * - priorities: ready keys run highest priority first, FIFO within one priority (`PriorityFifo`);
 *   a key added again while it waits keeps its place, or moves up when added with a higher
 *   priority (live changes before the backlog of an initial list or a periodic resync);
 *   a retry, and a requeue without a priority of its own, keep the priority the key ran with
 *   (controller-runtime's choice: a failing backlog must not crowd out live changes); no key
 *   starves, `PriorityFifo` gives every 8th pop that jumps an older key to the oldest;
 * - bounded concurrency: at most `concurrency` keys in flight;
 * - failures retry with per-key exponential backoff and jitter; success resets the count; on top,
 *   one token bucket over all keys bounds the overall retry rate (client-go's default controller
 *   rate limiter: the later of the per-key backoff and the bucket, 10 qps, burst 100), so a mass
 *   failure does not retry every key at once;
 * - due times are read from a monotonic clock (`performance.now()`): a wall-clock step neither
 *   postpones nor fires a retry;
 * - delayed adds keep the earliest pending time per key and share ONE timer (a min-heap drives a
 *   single setTimeout), so tens of thousands of scheduled resyncs cost no more than one timer.
 *
 * - pausable: `pause()` holds the workers (keys keep queueing and coalescing, delayed adds keep
 *   coming due) until `resume()`; the controller pauses while a cache it reads is behind.
 *
 * Delayed adds and immediate adds are independent, as in controller-runtime: `add(key)` of a key
 * with a pending `addAfter` runs it now and leaves the delayed add in place; when it comes due it
 * is an ordinary add (coalesced if the key is already waiting). A success does not cancel it
 * either; `forget(key)` does.
 */
import type { Logger } from "../observability/logger.js";
import { DEFAULT_BACKOFF, nextDelay, resolveBackoff, type BackoffConfig } from "../core/backoff.js";
import { TokenBucket, type RateLimitOptions } from "../kube/rate-limiter.js";
import { PriorityFifo, QueuePriority } from "./priority-fifo.js";

export { QueuePriority } from "./priority-fifo.js";

/**
 * What the queue does with a key after processing it:
 * - `success`: the failure history is forgotten; `requeueAfterMs` schedules another run;
 * - `retry`: a failure; counted, and the key runs again after `afterMs` when given, else after
 *   its next backoff delay (rate-limited by the global retry bucket);
 * - `drop`: a failure that must not be retried (a terminal error): the history is forgotten and
 *   nothing is scheduled; the next add (an event) runs it again;
 * - `wait`: nothing is scheduled and the history stays; the caller adds the key again later.
 */
export type QueueAction =
  | { type: "success"; requeueAfterMs?: number; requeuePriority?: number }
  | { type: "retry"; error: unknown; afterMs?: number }
  | { type: "drop"; error: unknown }
  | { type: "wait" };

/**
 * What processing a key may return: a `QueueAction`, or (the short form of a success) a delay
 * after which the key is synced again. A rejection is a `retry` with backoff.
 */
export type ProcessResult = QueueAction | { requeueAfterMs?: number } | void;

/** client-go's default overall retry limit (`workqueue.DefaultControllerRateLimiter`). */
export const DEFAULT_RETRY_RATE_LIMIT: Readonly<RateLimitOptions> = Object.freeze({ qps: 10, burst: 100 });

/** Callbacks for metrics (the shape of client-go's workqueue metrics provider). Never throw. */
export interface WorkQueueMetrics {
  /** A key entered the queue (not counted when it coalesced with a waiting one). */
  add(): void;
  /** Keys now waiting (not in flight, not delayed). */
  depth(n: number): void;
  /** A worker took `key` after it waited `queuedSeconds`. */
  start(key: string, queuedSeconds: number): void;
  /** The worker finished `key` (success or failure); work duration = done - start. */
  done(key: string): void;
  /** `key` was scheduled for a retry after a failure. */
  retry(): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions<K> {
  /** Name for logs and metrics. */
  name: string;
  /** Maximum keys processed at once (>= 1). */
  concurrency: number;
  /** Processes one key; a rejection is a failure and retries with backoff. */
  process: (key: K, signal: AbortSignal) => Promise<ProcessResult>;
  /** Retry delays; unset fields default to roperator's 500 ms, x1.5, ±50 %, cap 600 s. */
  backoff?: Partial<BackoffConfig>;
  /** Overall limit on backoff retries, over all keys (default 10 qps, burst 100). */
  retryRateLimit?: RateLimitOptions;
  /** A monotonic clock in ms (default `performance.now()`); for tests. */
  now?: () => number;
  /** Metric callbacks (see `Metrics.queueHooks(name)`). */
  onMetrics?: WorkQueueMetrics;
  /** Told about every failure, with the retry delay chosen. */
  onError?: (key: K, error: unknown, failures: number, retryInMs: number) => void;
  logger?: Logger;
  /** Uniform in [0, 1); for deterministic tests. */
  random?: () => number;
}

/** setTimeout's longest delay (~24.8 days); longer waits re-arm on expiry. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A coalescing, per-key serial, rate-limited and delaying work queue. See the module comment. */
export class WorkQueue<K = string> {
  private readonly ready = new PriorityFifo<K>();
  /** Keys that need processing (waiting in `ready`, or processed and to run once more), with the highest priority asked. */
  private readonly dirty = new Map<K, number>();
  /** Keys being processed, with the priority they ran with. */
  private readonly processing = new Map<K, number>();
  private readonly enqueuedAt = new Map<K, number>();
  private readonly failureCounts = new Map<K, number>();
  /** Earliest pending due time per delayed key; the heap may hold stale (later) entries. */
  private readonly delayed = new Map<K, number>();
  /** The priority a delayed key is added with when due (the highest asked). */
  private readonly delayedPriority = new Map<K, number>();
  private heap: Array<{ key: K; due: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private armScheduled = false;
  private running = false;
  private stopped = false;
  private signal: AbortSignal = new AbortController().signal;
  private readonly backoff: BackoffConfig;
  private retryBucket: TokenBucket;
  private paused = false;
  private readonly now: () => number;
  private idleWaiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly options: WorkQueueOptions<K>) {
    if (!(options.concurrency >= 1)) throw new RangeError(`work queue ${options.name}: concurrency must be >= 1`);
    this.backoff = resolveBackoff(options.backoff, DEFAULT_BACKOFF);
    this.now = options.now ?? (() => performance.now());
    this.retryBucket = new TokenBucket(options.retryRateLimit ?? DEFAULT_RETRY_RATE_LIMIT, this.now);
  }

  /** Keys waiting for a worker. */
  get depth(): number {
    return this.ready.size;
  }
  /** Keys being processed. */
  get inFlight(): number {
    return this.processing.size;
  }
  /** Keys with a pending delayed add. */
  get delayedCount(): number {
    return this.delayed.size;
  }
  /** Consecutive failures of `key` (0 after a success or `forget`). */
  failures(key: K): number {
    return this.failureCounts.get(key) ?? 0;
  }
  /** Whether the workers are held by {@link pause}. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Holds the workers: no key starts until {@link resume} (those in flight finish). Adds still
   * queue and coalesce, and delayed adds still come due into the queue. Idempotent.
   */
  pause(): void {
    this.paused = true;
  }

  /** Lets the workers take keys again after {@link pause}. Idempotent. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  /** Whether `shutdown` was called (or the start signal aborted). */
  get isShutdown(): boolean {
    return this.stopped;
  }

  /**
   * Queues `key` now with `priority` (default `QueuePriority.normal`); coalesced, a waiting key
   * keeps its place or moves up to a higher priority (see the module comment). Ignored after shutdown.
   */
  add(key: K, priority: number = QueuePriority.normal): void {
    if (this.stopped) return;
    const asked = this.dirty.get(key);
    if (asked !== undefined && asked >= priority) return;
    this.dirty.set(key, priority);
    if (this.processing.has(key)) return; // re-queued when its current run ends
    this.push(key, priority);
    this.pump();
  }

  /**
   * Queues `key` after `ms` with `priority`; an earlier pending time for the key wins, and the
   * higher of the priorities asked (controller-runtime: the min of the delays, the max of the priorities).
   */
  addAfter(key: K, ms: number, priority: number = QueuePriority.normal): void {
    if (this.stopped) return;
    if (!(ms > 0)) {
      this.add(key, priority);
      return;
    }
    const due = this.now() + ms;
    const pending = this.delayed.get(key);
    const pendingPriority = this.delayedPriority.get(key);
    if (pendingPriority === undefined || pendingPriority < priority) this.delayedPriority.set(key, priority);
    if (pending !== undefined && pending <= due) return;
    this.delayed.set(key, due);
    heapPush(this.heap, { key, due });
    if (this.heap.length > 2 * this.delayed.size + 1024) this.compactHeap();
    this.armTimer();
  }

  /**
   * Brings the retries of failing keys forward to now plus a random 0..`jitterMs` (the cluster
   * came back: a backoff built up during an outage, or the overall retry bucket drained by it,
   * must not hold the recovery). Their failure counts start again from zero: those failures were
   * the outage's, and a 409 from a cache still catching up must not back off as if it were the
   * ninth failure in a row. The overall retry bucket starts full again for the same reason: the
   * tokens the outage's failures took must not pace the retries after it. Keys that did not fail
   * are untouched. Returns how many were woken.
   */
  retryFailedSoon(jitterMs = 250, random: () => number = Math.random): number {
    if (this.stopped) return 0;
    this.retryBucket = new TokenBucket(this.options.retryRateLimit ?? DEFAULT_RETRY_RATE_LIMIT, this.now);
    let woken = 0;
    const now = this.now();
    // A failed key whose retry already came due (e.g. while the queue was paused) waits in the
    // queue: its outage failures are forgotten too.
    for (const key of this.failureCounts.keys()) if (!this.delayed.has(key)) this.failureCounts.delete(key);
    for (const [key, due] of this.delayed) {
      if (!this.failureCounts.has(key)) continue;
      this.failureCounts.delete(key);
      const soon = now + random() * jitterMs;
      if (due <= soon) continue;
      this.delayed.set(key, soon);
      heapPush(this.heap, { key, due: soon });
      woken++;
    }
    if (woken > 0) this.armNow();
    return woken;
  }

  /** Drops `key`'s failure history and its pending delayed add (it stays queued if it was). */
  forget(key: K): void {
    this.failureCounts.delete(key);
    this.delayedPriority.delete(key);
    if (this.delayed.delete(key) && this.delayed.size === 0) this.disarmTimer();
    this.notifyIdle();
  }

  /**
   * Runs workers until `signal` aborts; then stops taking work and resolves once in-flight keys
   * have finished (they see `signal` aborted and should return promptly).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`work queue ${this.options.name} already started`);
    this.running = true;
    this.signal = signal;
    const drained = new Promise<void>((resolve) => {
      const onAbort = (): void => {
        this.shutdown();
        this.whenDrained(resolve);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
    this.pump();
    await drained;
  }

  /** Stops taking new work and drops delayed adds; in-flight keys finish. Idempotent. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.disarmTimer();
    this.delayed.clear();
    this.delayedPriority.clear();
    this.heap = [];
    this.notifyIdle();
  }

  /**
   * Resolves when nothing is waiting, nothing is in flight and no delayed add is due. Delayed adds
   * due later (a resync in ten minutes) do not count as busy: tests wait for the effects of
   * events, not for scheduled resyncs. Before `start`, waiting keys keep it pending.
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    if (this.processing.size > 0) return false;
    if (!this.stopped && this.depth > 0) return false;
    return this.stopped || this.nextDue() > this.now();
  }

  private push(key: K, priority: number): void {
    if (!this.ready.push(key, priority)) return; // it waited already: moved up, same entry time
    this.enqueuedAt.set(key, performance.now());
    this.options.onMetrics?.add();
    this.options.onMetrics?.depth(this.depth);
  }

  private pump(): void {
    if (!this.running || this.stopped || this.paused) return;
    while (this.processing.size < this.options.concurrency && this.depth > 0) {
      const key = this.ready.pop() as K;
      const priority = this.dirty.get(key) ?? QueuePriority.normal;
      this.dirty.delete(key);
      this.processing.set(key, priority);
      const queuedMs = performance.now() - (this.enqueuedAt.get(key) ?? performance.now());
      this.enqueuedAt.delete(key);
      this.options.onMetrics?.depth(this.depth);
      this.options.onMetrics?.start(String(key), queuedMs / 1000);
      void this.run(key);
    }
  }

  private async run(key: K): Promise<void> {
    let action: QueueAction;
    try {
      action = queueActionOf(await this.options.process(key, this.signal));
    } catch (error) {
      action = { type: "retry", error };
    }
    this.options.onMetrics?.done(String(key));
    const priority = this.processing.get(key) ?? QueuePriority.normal;
    this.processing.delete(key);
    this.apply(key, action, priority);
    const again = this.dirty.get(key);
    if (again !== undefined && !this.stopped) this.push(key, again);
    this.pump();
    this.notifyIdle();
    if (this.processing.size === 0) this.notifyDrained();
  }

  private apply(key: K, action: QueueAction, priority: number): void {
    switch (action.type) {
      case "success": {
        this.failureCounts.delete(key);
        const after = action.requeueAfterMs;
        if (after !== undefined && after >= 0) this.addAfter(key, after, action.requeuePriority ?? priority);
        return;
      }
      case "retry":
        this.onFailure(key, action.error, action.afterMs, priority);
        return;
      case "drop":
        // Not retried, not even by a pending resync: the next event runs it again.
        this.failureCounts.delete(key);
        this.delayedPriority.delete(key);
        if (this.delayed.delete(key) && this.delayed.size === 0) this.disarmTimer();
        return;
      case "wait":
        return;
    }
  }

  private onFailure(key: K, error: unknown, afterMs: number | undefined, priority: number): void {
    if (this.stopped) return; // shutting down: no retries
    const failures = (this.failureCounts.get(key) ?? 0) + 1;
    this.failureCounts.set(key, failures);
    // A chosen retry time is honoured as given; a backoff retry also waits for a token of the
    // overall bucket (the later of the two, as client-go's MaxOfRateLimiter).
    const delay =
      afterMs !== undefined && afterMs >= 0
        ? afterMs
        : Math.max(nextDelay(failures, this.backoff, this.options.random), Math.ceil(this.retryBucket.reserve()));
    this.options.onMetrics?.retry();
    try {
      this.options.onError?.(key, error, failures, delay);
    } catch (hookError) {
      this.options.logger?.error("work queue onError hook threw", { queue: this.options.name, err: hookError });
    }
    this.addAfter(key, delay, priority);
  }

  // ---- delayed adds: one min-heap, one timer -------------------------------------------------

  private nextDue(): number {
    this.dropStaleHeapTop();
    return this.heap[0]?.due ?? Infinity;
  }

  private dropStaleHeapTop(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.delayed.get(top.key) === top.due) return;
      heapPop(this.heap);
    }
  }

  /**
   * Re-arms the timer at the end of the current tick: a burst of addAfter calls (a relist that
   * schedules thousands of resyncs) then costs one setTimeout, whatever order the times come in.
   */
  private armTimer(): void {
    if (this.armScheduled) return;
    this.armScheduled = true;
    queueMicrotask(() => {
      this.armScheduled = false;
      if (!this.stopped) this.armNow();
    });
  }

  private armNow(): void {
    const due = this.nextDue();
    if (due === Infinity) {
      this.disarmTimer();
      return;
    }
    if (this.timer && this.timerDue <= due) return;
    this.disarmTimer();
    this.timerDue = due;
    this.timer = setTimeout(() => this.onTimer(), Math.min(MAX_TIMER_MS, Math.max(0, due - this.now())));
  }

  private disarmTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.now();
    for (let due = this.nextDue(); due <= now; due = this.nextDue()) {
      const { key } = heapPop(this.heap)!;
      this.delayed.delete(key);
      const priority = this.delayedPriority.get(key) ?? QueuePriority.normal;
      this.delayedPriority.delete(key);
      this.add(key, priority);
    }
    if (!this.stopped) this.armNow();
    this.notifyIdle();
  }

  private compactHeap(): void {
    const live = [...this.delayed].map(([key, due]) => ({ key, due }));
    live.sort((a, b) => a.due - b.due); // a sorted array is a valid min-heap
    this.heap = live;
  }

  // ---- waiters ------------------------------------------------------------------------------

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private whenDrained(resolve: () => void): void {
    if (this.processing.size === 0) resolve();
    else this.drainWaiters.push(resolve);
  }

  private notifyDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Normalizes what `process` returned (the short `{ requeueAfterMs }` form is a success). */
export function queueActionOf(result: ProcessResult): QueueAction {
  if (result && "type" in result) return result;
  const after = result?.requeueAfterMs;
  return after === undefined ? { type: "success" } : { type: "success", requeueAfterMs: after };
}

function heapPush<T extends { due: number }>(heap: T[], item: T): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.due <= item.due) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = item;
}

function heapPop<T extends { due: number }>(heap: T[]): T | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (top === undefined || last === undefined || heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]!.due < heap[left]!.due ? right : left;
    if (heap[child]!.due >= last.due) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}
