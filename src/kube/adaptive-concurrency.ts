/**
 * Adaptive concurrency of the requests to one cluster (AIMD, as TCP's congestion window): the limit
 * halves when the API server answers 429 (API priority and fairness rejected us: we sent more than
 * our seats carry) and grows by one per limit's worth of successes (about +1 per round of
 * requests). Waiting requests queue here, in the client, in FIFO order, instead of being rejected
 * by the server and retried later.
 *
 * `AimdLimit` is the pure decision (unit-tested with a clock you pass); `ConcurrencyGate` is the
 * semaphore that applies it. Guarantees: the limit stays within [min, max]; one burst of 429s
 * answering requests sent under the same limit halves it once, not once per answer.
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
}

/** The AIMD limit as plain state: call `onSuccess`/`onThrottled` with each outcome. */
export class AimdLimit {
  private value: number;
  private readonly min: number;
  private readonly max: number;
  private readonly factor: number;
  /** Requests started before this sequence number were sent under a limit already decreased. */
  private decreasedAtSeq = -1;
  private seq = 0;

  constructor(options: AdaptiveConcurrencyOptions & { max: number }) {
    this.min = Math.max(1, Math.floor(options.min ?? 1));
    this.max = Math.max(this.min, Math.floor(options.max));
    this.factor = options.decreaseFactor ?? 0.5;
    if (!(this.factor > 0 && this.factor < 1)) throw new RangeError(`decreaseFactor must be within (0, 1), got ${this.factor}`);
    this.value = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
  }

  /** The current limit: how many requests may be in flight. */
  get limit(): number {
    return Math.floor(this.value);
  }

  /** A ticket for a request that starts now; pass it back with its outcome. */
  start(): number {
    return this.seq++;
  }

  /** A request succeeded: additive increase (+1 per `limit` successes). Returns whether the limit changed. */
  onSuccess(): boolean {
    const before = this.limit;
    this.value = Math.min(this.max, this.value + 1 / Math.max(1, this.value));
    return this.limit !== before;
  }

  /**
   * The server answered 429 to the request holding `ticket`: multiplicative decrease, unless the
   * request was sent before the last decrease (its answer is part of the burst already acted on).
   * Returns whether the limit changed.
   */
  onThrottled(ticket: number): boolean {
    if (ticket < this.decreasedAtSeq) return false;
    const before = this.limit;
    this.value = Math.max(this.min, Math.floor(this.value * this.factor));
    this.decreasedAtSeq = this.seq;
    return this.limit !== before;
  }
}

/** A FIFO semaphore whose size follows an {@link AimdLimit}. */
export class ConcurrencyGate {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly aimd: AimdLimit, private readonly onLimitChange?: (limit: number) => void) {}

  /** Requests in flight now. */
  get active(): number {
    return this.inFlight;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Waits for a slot; returns the release function (call it exactly once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
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
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.admit();
    };
  }

  /** Reports an outcome to the limit (and the metric when it changed). */
  record(ticket: number, throttled: boolean): void {
    const changed = throttled ? this.aimd.onThrottled(ticket) : this.aimd.onSuccess();
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
