/**
 * Exponential backoff with jitter, as pure functions plus a tiny stateful tracker.
 *
 * Two sets of defaults live here because two loops back off differently:
 * - the work queue retries a failing parent like roperator does (500 ms, x1.5, ±50 %, cap 600 s);
 * - the informer retries a failing list/watch like client-go's reflector (800 ms, x2, cap 30 s,
 *   reset after 2 minutes without failure).
 */

/** Shape of an exponential backoff. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  initialMs: number;
  /** Upper bound of the delay (after jitter), in milliseconds. */
  maxMs: number;
  /** Factor applied per further consecutive failure (>= 1). */
  multiplier: number;
  /**
   * Relative jitter in [0, 1]: the delay is spread uniformly over `base * (1 ± jitter)`.
   * Spreading retries keeps many failing keys (or many operator replicas) from retrying in
   * lockstep against the API server.
   */
  jitter: number;
}

/** roperator's per-parent retry: 500 ms, x1.5, ±50 %, capped at 10 minutes. */
export const DEFAULT_QUEUE_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 500,
  maxMs: 600_000,
  multiplier: 1.5,
  jitter: 0.5,
});

/**
 * client-go reflector's list/watch retry: 800 ms doubling, capped at 30 s. client-go's jitter
 * only lengthens (factor 1.0: [d, 2d)); we spread ±50 % around the base instead, which has the
 * same purpose (desynchronising clients) with the same mean growth.
 */
export const DEFAULT_WATCH_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 800,
  maxMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
});

/** client-go resets the reflector's backoff once it has gone this long without a failure. */
export const DEFAULT_BACKOFF_RESET_AFTER_MS = 120_000;

/** Fills missing fields from `defaults` and checks the values make sense. */
export function resolveBackoffOptions(
  options: Partial<BackoffOptions> | undefined,
  defaults: Readonly<BackoffOptions>,
): BackoffOptions {
  const resolved = { ...defaults, ...stripUndefined(options ?? {}) };
  if (!(resolved.initialMs >= 0) || !(resolved.maxMs >= resolved.initialMs)) {
    throw new RangeError(`backoff: need 0 <= initialMs <= maxMs, got ${resolved.initialMs} and ${resolved.maxMs}`);
  }
  if (!(resolved.multiplier >= 1)) throw new RangeError(`backoff: multiplier must be >= 1, got ${resolved.multiplier}`);
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) {
    throw new RangeError(`backoff: jitter must be within [0, 1], got ${resolved.jitter}`);
  }
  return resolved;
}

/**
 * The delay before retry number `attempt` (1 = first retry after the first failure).
 * `random` returns a number in [0, 1); pass a constant in tests for a deterministic result.
 */
export function backoffDelay(options: BackoffOptions, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  // Math.min before multiplying keeps huge attempt counts from overflowing to Infinity*0 = NaN.
  const base = Math.min(options.maxMs, options.initialMs * Math.pow(options.multiplier, exponent));
  const spread = options.jitter * (2 * random() - 1);
  const jittered = base * (1 + spread);
  return Math.round(Math.min(options.maxMs, Math.max(0, jittered)));
}

/** Consecutive failures of one loop, as plain data (the watch state machine carries it). */
export interface FailureHistory {
  /** Failures counted towards the current delay (0 = healthy). */
  readonly attempt: number;
  /** When the last failure happened (ms since the epoch), if any. */
  readonly lastFailureAt?: number;
}

/** A history without failures. */
export const NO_FAILURES: FailureHistory = Object.freeze({ attempt: 0 });

/**
 * Records a failure at `now`. The count restarts when the previous failure is older than
 * `resetAfterMs` (client-go's "reset after 2 minutes of health"): a loop that fails once an hour
 * retries after the initial delay, not after the cap, while a loop that keeps failing (for
 * example a watch that opens and dies at once) keeps growing its delay even between successes.
 */
export function recordFailure(
  history: FailureHistory,
  now: number,
  resetAfterMs: number = DEFAULT_BACKOFF_RESET_AFTER_MS,
): FailureHistory {
  const stale = history.lastFailureAt !== undefined && now - history.lastFailureAt >= resetAfterMs;
  return { attempt: (stale ? 0 : history.attempt) + 1, lastFailureAt: now };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
