/**
 * A client-side token bucket (client-go's `flowcontrol.NewTokenBucketRateLimiter(qps, burst)`).
 * Off by default: controller-runtime users lift client-go's 5 qps / 10 burst because the server
 * protects itself (API priority and fairness answers 429, which the client honours).
 */

/** Settings of the token bucket. */
export interface RateLimitOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many requests may go at once after a quiet period. */
  burst: number;
}

/** Hands out one token per request, waiting when the bucket is empty (FIFO by reservation). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(options.qps > 0)) throw new Error(`rate limit qps must be > 0, got ${options.qps}`);
    this.qps = options.qps;
    this.burst = Math.max(1, Math.floor(options.burst));
    this.tokens = this.burst;
    this.last = this.now();
  }

  /**
   * Reserves a token and returns how many milliseconds the caller must wait before using it.
   * Tokens may go negative: each reservation queues behind the earlier ones, as client-go's does.
   */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Waits until a token is available. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await sleep(waitMs, signal);
  }
}

/** Resolves after `ms`, or rejects early with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
