/**
 * Exponential backoff with jitter, with roperator's defaults. Pure: `nextDelay` takes the random
 * source as a parameter so tests and the runtime's work queue can share it.
 */

/** Shape of an exponential backoff. All durations in milliseconds. */
export interface BackoffConfig {
  /** Delay after the first failure. */
  readonly initialDelayMs: number;
  /** Factor applied for each further consecutive failure (>= 1). */
  readonly multiplier: number;
  /** Random spread in either direction, as a fraction of the delay (0.5 = +-50 %). */
  readonly jitter: number;
  /** No delay is ever longer than this (jitter included). */
  readonly maxDelayMs: number;
}

/** roperator's defaults: 500 ms, x1.5, +-50 % jitter, at most 600 s. */
export const DEFAULT_BACKOFF: BackoffConfig = Object.freeze({
  initialDelayMs: 500,
  multiplier: 1.5,
  jitter: 0.5,
  maxDelayMs: 600_000,
});

/** Fills the unset fields of a partial config with {@link DEFAULT_BACKOFF}. */
export function backoffConfig(partial: Partial<BackoffConfig> = {}): BackoffConfig {
  return Object.freeze({ ...DEFAULT_BACKOFF, ...partial });
}

/** A fixed delay without growth or jitter (handy in tests). */
export function fixedBackoff(delayMs: number): BackoffConfig {
  return Object.freeze({ initialDelayMs: delayMs, multiplier: 1, jitter: 0, maxDelayMs: delayMs });
}

/** Problems of a backoff config, one sentence each (empty when valid). */
export function backoffProblems(cfg: BackoffConfig): string[] {
  const problems: string[] = [];
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  if (!positive(cfg.initialDelayMs)) problems.push(`backoff.initialDelayMs must be a positive number of ms (got ${cfg.initialDelayMs})`);
  if (!positive(cfg.maxDelayMs)) problems.push(`backoff.maxDelayMs must be a positive number of ms (got ${cfg.maxDelayMs})`);
  else if (cfg.maxDelayMs < cfg.initialDelayMs) problems.push(`backoff.maxDelayMs (${cfg.maxDelayMs}) must not be below initialDelayMs (${cfg.initialDelayMs})`);
  if (!(Number.isFinite(cfg.multiplier) && cfg.multiplier >= 1)) problems.push(`backoff.multiplier must be >= 1 (got ${cfg.multiplier})`);
  if (!(Number.isFinite(cfg.jitter) && cfg.jitter >= 0 && cfg.jitter <= 1)) problems.push(`backoff.jitter must be between 0 and 1 (got ${cfg.jitter})`);
  return problems;
}

/**
 * The delay before the next attempt after `failures` consecutive failures (1 = first failure):
 * `initial * multiplier^(failures-1)`, capped at `maxDelayMs`, then spread by +-jitter and capped
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
