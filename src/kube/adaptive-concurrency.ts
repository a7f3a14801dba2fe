/**
 * Adaptive concurrency of the requests to one cluster (AIMD, as TCP's congestion window): the limit
 * halves when the API server answers 429 (API priority and fairness rejected us: we sent more than
 * our seats carry) and grows by one per limit's worth of successes (about +1 per round of
 * requests). Waiting requests queue here, in the client, in FIFO order, instead of being rejected
 * by the server and retried later.
 *
 * `AimdLimit` is the pure decision (unit-tested with a clock you pass); `ConcurrencyGate` is the
 * semaphore that applies it. Guarantees: the limit stays within [min, max]; every 429 halves it.
 *
 * Every 429 counts (not once per burst as TCP's once-per-round-trip): a priority level with
 * `limitResponse: Reject` refuses all but its few seats at once, so 15 refusals out of 16 say
 * "about one seat", and halving once per burst would need a new burst of refusals per halving
 * (measured: 26 429s to get from 16 down to 1 under one seat). Growth back is quick anyway
 * (from 1 to 8 in ~28 successes).
 *
 * After a 429 the limit holds (no growth) for `holdMs` (1 s, the usual Retry-After of priority and
 * fairness); a 429 again soon after a hold ended doubles the next hold (up to `maxHoldMs`), so a
 * level with one seat is not probed with a second request, and refused, every second: the number of
 * probes over time grows as its logarithm, not linearly. A quiet spell as long as the hold resets it.
 *
 * Halving overshoots below what the seats carry (at limit 4 on 3 seats, one 429 leaves 2; two
 * 429s of one overshoot leave 1), and the hold would keep it there: measured on 3 seats, the limit
 * spent most of a run at 1 or 2. So a 429 also tells how many requests were in flight besides it,
 * all admitted (a Reject level refuses at once, and only this client's user is in it): the seats
 * carried at least that many. The lowest such count of a hold (the "carried" level) is climbed back
 * to at once, +1 per success, hold or not; only growth above it waits for the hold and is additive.
 * On one seat a 429 comes back with one other request in flight: nothing to climb back to.
 */

/** Settings of the adaptive limit. */
export interface AdaptiveConcurrencyOptions {
  /** The limit at start (default: `max`). */
  initial?: number;
  /** Lowest limit. Default 1. */
  min?: number;
  /** Highest limit (default: the pool's connections, 32). */
  max?: number;
  /** Factor applied on a 429, in (0, 1). Default 0.5. */
  decreaseFactor?: number;
  /** No growth for this long after a 429, ms. Default 1000. */
  holdMs?: number;
  /** Upper bound of the doubled hold, ms. Default 30 000. */
  maxHoldMs?: number;
}

/** The AIMD limit as plain state: call `onSuccess`/`onThrottled` with each outcome. */
export class AimdLimit {
  private value: number;
  private readonly min: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly baseHoldMs: number;
  private readonly maxHoldMs: number;
  private holdMs: number;
  private holdUntil = Number.NEGATIVE_INFINITY;
  /** Requests the seats carried at the last 429s (the lowest count of the hold); 0 when unknown. */
  private carried = 0;

  constructor(
    options: AdaptiveConcurrencyOptions & { max: number },
    private readonly now: () => number = () => performance.now(),
  ) {
    this.min = Math.max(1, Math.floor(options.min ?? 1));
    this.max = Math.max(this.min, Math.floor(options.max));
    this.factor = options.decreaseFactor ?? 0.5;
    if (!(this.factor > 0 && this.factor < 1)) throw new RangeError(`decreaseFactor must be within (0, 1), got ${this.factor}`);
    this.value = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
    this.baseHoldMs = options.holdMs ?? 1_000;
    this.maxHoldMs = Math.max(this.baseHoldMs, options.maxHoldMs ?? 30_000);
    this.holdMs = this.baseHoldMs;
  }

  /** The current limit: how many requests may be in flight. */
  get limit(): number {
    return Math.floor(this.value);
  }

  /**
   * A request succeeded: back up to the level the seats carried at the last 429s at once (+1 per
   * success), above it additive increase (+1 per `limit` successes) once the hold is over. Returns
   * whether the limit changed.
   */
  onSuccess(): boolean {
    const before = this.limit;
    if (this.value < this.carried) this.value = Math.min(this.carried, Math.floor(this.value) + 1);
    else if (this.now() >= this.holdUntil) this.value = Math.min(this.max, this.value + 1 / Math.max(1, this.value));
    return this.limit !== before;
  }

  /**
   * The server answered 429: multiplicative decrease. `othersInFlight`: the requests still in
   * flight when it came back (admitted: the seats carried them); unknown when not given. Returns
   * whether the limit changed.
   */
  onThrottled(othersInFlight?: number): boolean {
    const now = this.now();
    const others = Math.min(this.max, Math.max(0, Math.floor(othersInFlight ?? 0)));
    if (now >= this.holdUntil) {
      // Refused again soon after the last hold ended: the level is full, wait longer before probing.
      const soon = now - this.holdUntil < this.holdMs;
      this.holdMs = soon ? Math.min(this.maxHoldMs, this.holdMs * 2) : this.baseHoldMs;
      this.holdUntil = now + this.holdMs;
      this.carried = others;
    } else {
      // Within one hold the 429s of one overshoot (or of the start-up burst) come back while fewer
      // and fewer others are still in flight: the lowest count is the one the seats surely carry.
      this.carried = Math.min(this.carried, others);
    }
    const before = this.limit;
    this.value = Math.max(this.min, Math.floor(this.value * this.factor));
    return this.limit !== before;
  }
}

/** A FIFO semaphore whose size follows an {@link AimdLimit}. */
export class ConcurrencyGate {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly aimd: AimdLimit,
    private readonly onLimitChange?: (limit: number) => void,
  ) {}

  /** Requests in flight now. */
  get active(): number {
    return this.inFlight;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Waits for a slot; returns the release function (call it exactly once). Pass the answer's
   * outcome to it (`true`: 429, `false`: success; nothing: no news for the limit) so that it is
   * recorded before the slot goes to a waiter: a 429 then counts only the others in flight.
   */
  async acquire(signal?: AbortSignal): Promise<(throttled?: boolean) => void> {
    if (this.inFlight >= this.aimd.limit || this.waiters.length > 0) {
      await new Promise<void>((resolve, reject) => {
        const grant = (): void => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const index = this.waiters.indexOf(grant);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal?.reason);
        };
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        this.waiters.push(grant);
      });
    } else {
      this.inFlight++;
    }
    let released = false;
    return (throttled?: boolean) => {
      if (released) return;
      released = true;
      if (throttled !== undefined) this.report(throttled, this.inFlight - 1);
      this.inFlight--;
      this.admit();
    };
  }

  /** Reports an outcome to the limit (and the metric when it changed), for a request already released. */
  record(throttled: boolean): void {
    this.report(throttled, this.inFlight);
  }

  private report(throttled: boolean, othersInFlight: number): void {
    const changed = throttled ? this.aimd.onThrottled(othersInFlight) : this.aimd.onSuccess();
    if (changed) {
      this.onLimitChange?.(this.aimd.limit);
      if (!throttled) this.admit();
    }
  }

  private admit(): void {
    while (this.waiters.length > 0 && this.inFlight < this.aimd.limit) {
      this.inFlight++;
      this.waiters.shift()!();
    }
  }
}
