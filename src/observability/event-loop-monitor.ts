/**
 * Liveness of the event loop: a timer ticks every `intervalMs`; a tick that comes much later than
 * due means the loop was blocked (a synchronous handler, a runaway loop, a huge JSON parse) for the
 * difference. A process whose loop blocks for longer than `blockedThresholdMs` answers nothing
 * meanwhile (no watch event, no lease renewal, no probe), so `/healthz` reports it red for `holdMs`
 * after the block, long enough for a kubelet's consecutive liveness failures to add up to a
 * restart when blocks repeat. The decision ({@link eventLoopLiveness}) is pure; the timer is thin.
 */
import type { CheckResult } from "./health-server.js";

/** Options of {@link EventLoopMonitor}. */
export interface EventLoopMonitorOptions {
  /** Tick period. Default 1 s. */
  intervalMs?: number;
  /** A block longer than this makes liveness red. Default 10 s. */
  blockedThresholdMs?: number;
  /** How long liveness stays red after such a block. Default 30 s (3 probes of a kubelet's default 10 s period). */
  holdMs?: number;
}

/** What the monitor has seen: the last tick and the last block over the threshold. */
export interface EventLoopObservations {
  lastTickAt: number;
  lastBlock?: { endedAt: number; ms: number };
}

/** The resolved options. */
export type EventLoopThresholds = Required<EventLoopMonitorOptions>;

/** Defaults of {@link EventLoopMonitor}. */
export const DEFAULT_EVENT_LOOP_THRESHOLDS: Readonly<EventLoopThresholds> = Object.freeze({
  intervalMs: 1_000,
  blockedThresholdMs: 10_000,
  holdMs: 30_000,
});

/** Records a tick at `now` (monotonic ms): returns the new observations. */
export function recordTick(seen: EventLoopObservations, now: number, thresholds: EventLoopThresholds): EventLoopObservations {
  const blockedMs = now - seen.lastTickAt - thresholds.intervalMs;
  if (blockedMs > thresholds.blockedThresholdMs) return { lastTickAt: now, lastBlock: { endedAt: now, ms: blockedMs } };
  return { ...seen, lastTickAt: now };
}

/** Red while the loop is blocked now (no tick for too long) or was blocked within the last `holdMs`. */
export function eventLoopLiveness(seen: EventLoopObservations, now: number, thresholds: EventLoopThresholds): CheckResult {
  const sinceTick = now - seen.lastTickAt - thresholds.intervalMs;
  if (sinceTick > thresholds.blockedThresholdMs) return { ok: false, detail: `event loop blocked for ${Math.round(sinceTick)} ms (now)` };
  const block = seen.lastBlock;
  if (block && now - block.endedAt < thresholds.holdMs) {
    return { ok: false, detail: `event loop was blocked for ${Math.round(block.ms)} ms ${Math.round((now - block.endedAt) / 1000)} s ago` };
  }
  return { ok: true, detail: "event loop responsive" };
}

/** The timer around {@link recordTick}; `check()` is a liveness check for `HealthServer`. */
export class EventLoopMonitor {
  private readonly thresholds: EventLoopThresholds;
  private seen: EventLoopObservations = { lastTickAt: performance.now() };
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: EventLoopMonitorOptions = {}) {
    this.thresholds = { ...DEFAULT_EVENT_LOOP_THRESHOLDS, ...options };
  }

  /** Starts ticking (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.seen = { lastTickAt: performance.now() };
    this.timer = setInterval(() => (this.seen = recordTick(this.seen, performance.now(), this.thresholds)), this.thresholds.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Liveness now. */
  check(): CheckResult {
    if (!this.timer) return { ok: true, detail: "not monitoring" };
    return eventLoopLiveness(this.seen, performance.now(), this.thresholds);
  }
}
