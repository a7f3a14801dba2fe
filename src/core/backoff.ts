/**
 * Exponential backoff with jitter: one shape (`BackoffConfig`), one formula (`nextDelay`), pure
 * functions plus a failure history as plain data. The public names (`DEFAULT_BACKOFF`,
 * `backoffConfig`, `fixedBackoff`, `nextDelay`, `BackoffConfig`) are exported from `tsoperator`.
 *
 * Two sets of defaults live here because two loops back off differently:
 * - the work queue retries a failing parent like roperator does (500 ms, x1.5, ±50 %, cap 600 s);
 * - the informer retries a failing list/watch like client-go's reflector (800 ms, x2, cap 30 s,
 *   reset after 2 minutes without failure).
 */

/** Shape of an exponential backoff. All durations in milliseconds. */
export interface BackoffConfig {
  /** Delay after the first failure. */
  readonly initialDelayMs: number;
  /** Factor applied for each further consecutive failure (>= 1). */
  readonly multiplier: number;
  /**
   * Random spread in either direction, as a fraction of the delay (0.5 = ±50 %). Spreading
   * retries keeps many failing keys (or many operator replicas) from retrying in lockstep.
   */
  readonly jitter: number;
  /** No delay is ever longer than this (jitter included). */
  readonly maxDelayMs: number;
}

/** roperator's per-parent retry: 500 ms, x1.5, ±50 %, at most 600 s. */
export const DEFAULT_BACKOFF: BackoffConfig = Object.freeze({
  initialDelayMs: 500,
  multiplier: 1.5,
  jitter: 0.5,
  maxDelayMs: 600_000,
});

/**
 * client-go reflector's list/watch retry: 800 ms doubling, capped at 30 s. client-go's jitter
 * only lengthens (factor 1.0: [d, 2d)); we spread ±50 % around the base instead, which has the
 * same purpose (desynchronising clients) with the same mean growth.
 */
export const DEFAULT_WATCH_BACKOFF: BackoffConfig = Object.freeze({
  initialDelayMs: 800,
  multiplier: 2,
  jitter: 0.5,
  maxDelayMs: 30_000,
});

/** client-go resets the reflector's backoff once it has gone this long without a failure. */
export const DEFAULT_BACKOFF_RESET_AFTER_MS = 120_000;

/** Fills the unset fields of a partial config from `defaults` ({@link DEFAULT_BACKOFF} unless given). */
export function backoffConfig(partial: Partial<BackoffConfig> = {}, defaults: BackoffConfig = DEFAULT_BACKOFF): BackoffConfig {
  return Object.freeze({ ...defaults, ...stripUndefined(partial) });
}

/** A fixed delay without growth or jitter (handy in tests). */
export function fixedBackoff(delayMs: number): BackoffConfig {
  return Object.freeze({ initialDelayMs: delayMs, multiplier: 1, jitter: 0, maxDelayMs: delayMs });
}

/** Problems of a backoff config, one sentence each (empty when valid). */
export function backoffProblems(cfg: BackoffConfig): string[] {
  const problems: string[] = [];
  const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
  if (!nonNegative(cfg.initialDelayMs)) problems.push(`backoff.initialDelayMs must be a number of ms >= 0 (got ${cfg.initialDelayMs})`);
  if (!nonNegative(cfg.maxDelayMs)) problems.push(`backoff.maxDelayMs must be a number of ms >= 0 (got ${cfg.maxDelayMs})`);
  else if (cfg.maxDelayMs < cfg.initialDelayMs)
    problems.push(`backoff.maxDelayMs (${cfg.maxDelayMs}) must not be below initialDelayMs (${cfg.initialDelayMs})`);
  if (!(Number.isFinite(cfg.multiplier) && cfg.multiplier >= 1)) problems.push(`backoff.multiplier must be >= 1 (got ${cfg.multiplier})`);
  if (!(Number.isFinite(cfg.jitter) && cfg.jitter >= 0 && cfg.jitter <= 1))
    problems.push(`backoff.jitter must be between 0 and 1 (got ${cfg.jitter})`);
  return problems;
}

/** `backoffConfig(partial, defaults)`, refusing invalid values with a RangeError (for internal loops). */
export function resolveBackoff(partial: Partial<BackoffConfig> | undefined, defaults: BackoffConfig): BackoffConfig {
  const resolved = backoffConfig(partial, defaults);
  const problems = backoffProblems(resolved);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  return resolved;
}

/**
 * The delay before the next attempt after `failures` consecutive failures (1 = first failure):
 * `initial * multiplier^(failures-1)`, capped at `maxDelayMs`, then spread by ±jitter and capped
 * again. `random` returns a number in [0, 1); 0.5 means "no jitter". Always >= 0.
 */
export function nextDelay(failures: number, cfg: BackoffConfig = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(failures));
  // Exponent capped so that huge failure counts cannot overflow to Infinity/NaN.
  const grown = cfg.initialDelayMs * Math.pow(cfg.multiplier, Math.min(n - 1, 1000));
  const base = Math.min(Number.isFinite(grown) ? grown : cfg.maxDelayMs, cfg.maxDelayMs);
  const spread = base * cfg.jitter * (2 * random() - 1);
  return Math.round(Math.max(0, Math.min(base + spread, cfg.maxDelayMs)));
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
export function recordFailure(history: FailureHistory, now: number, resetAfterMs: number = DEFAULT_BACKOFF_RESET_AFTER_MS): FailureHistory {
  const stale = history.lastFailureAt !== undefined && now - history.lastFailureAt >= resetAfterMs;
  return { attempt: (stale ? 0 : history.attempt) + 1, lastFailureAt: now };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
