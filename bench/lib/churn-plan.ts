/**
 * W5 churn capacity, the pure parts (bench/README.md "W5 churn capacity"): the seeded Poisson
 * arrival schedule, the payload that names a change, when a parent has converged for a change,
 * latency percentiles (a change that never converged counts as infinitely late, never dropped),
 * and the capacity search over rates (step up, then bisect). No I/O and no clock: the driver
 * (lib/churn.ts) feeds it times and states.
 */

/** A deterministic PRNG (mulberry32): the same seed gives the same schedule on every run and peer. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One planned change: when to send it (ms after the window opens) and which parent it changes. */
export interface Arrival {
  atMs: number;
  parentIndex: number;
}

/**
 * Poisson arrivals at `rate` changes per second over `durationMs`: exponential gaps with mean
 * 1000/rate ms, each change on a parent drawn uniformly from `parents`. Planned in advance, so the
 * driver sends on time whatever the operator does (open loop).
 */
export function arrivalSchedule(rate: number, durationMs: number, parents: number, seed: number): Arrival[] {
  if (!(rate > 0) || !(durationMs > 0) || parents < 1) return [];
  const random = seededRandom(seed);
  const out: Arrival[] = [];
  let t = 0;
  for (;;) {
    // 1 - u is in (0, 1]: the log never sees 0.
    t += (-Math.log(1 - random()) * 1000) / rate;
    if (t >= durationMs) return out;
    out.push({ atMs: t, parentIndex: Math.floor(random() * parents) });
  }
}

/** The payload of a parent's `seq`-th change (seq counts the harness's changes of that parent). */
export function changePayload(parent: string, seq: number): string {
  return `${parent}-c${seq}`;
}

/** The change number a payload carries (case-insensitive: one child holds it upper-cased), or -1. */
export function changeSeqOf(value: unknown): number {
  if (typeof value !== "string") return -1;
  const m = /-c(\d+)$/i.exec(value);
  return m ? Number(m[1]) : -1;
}

/** What the harness's watches show of one parent and its three children now (wire objects). */
export interface ParentView {
  parent?: Record<string, any>;
  configMapA?: Record<string, any>;
  configMapB?: Record<string, any>;
  service?: Record<string, any>;
}

/** A change as the tracker knows it once the harness's patch returned. */
export interface ChangeKey {
  seq: number;
  /** The parent's metadata.generation the harness's patch produced. */
  generation: number;
  /**
   * The generation the patch of another change of this parent produced, if known. Open-loop
   * patches to one parent can be in flight together and be applied out of send order, so "later"
   * is the API server's order (generation), not the harness's (seq); unknown changes fall back to seq.
   */
  generationOf?: (seq: number) => number | undefined;
}

/**
 * Whether a parent has converged for a change: its status observed at least the generation the
 * patch produced, and each of its three children carries this change's payload or a later
 * change's (a later change supersedes this one, as a level-triggered operator's next sync does);
 * "later" in the API server's order when the change's generation is known (`generationOf`).
 */
export function convergedFor(view: ParentView, change: ChangeKey): boolean {
  const observed = view.parent?.status?.observedGeneration;
  if (typeof observed !== "number" || observed < change.generation) return false;
  const notOlder = (seq: number): boolean => {
    if (seq === change.seq) return true;
    const generation = change.generationOf?.(seq);
    return generation === undefined ? seq > change.seq : generation > change.generation;
  };
  return (
    notOlder(changeSeqOf(view.configMapA?.data?.payload)) &&
    notOlder(changeSeqOf(view.configMapB?.data?.["payload-upper"])) &&
    notOlder(changeSeqOf(view.service?.metadata?.annotations?.["bench.tsoperator.dev/payload"]))
  );
}

/** Percentiles of a set of latencies (ms); `Infinity` stands for a change that never converged. */
export interface LatencyStats {
  count: number;
  /** Changes that had not converged by the end (counted as infinitely late). */
  unconverged: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean?: number;
}

/** Nearest-rank percentile (q in (0, 1]) of ascending values; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50/p90/p99/max over every value; infinite values stay in and push the percentiles up. */
export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const finite = sorted.filter(Number.isFinite);
  return {
    count: sorted.length,
    unconverged: sorted.length - finite.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : undefined,
  };
}

/** One measured rate of a capacity search. */
export interface RateStep {
  rate: number;
  /** p99 latency at that rate, ms (Infinity when some change never converged and fell in the top 1 %). */
  p99Ms: number;
}

/** How the capacity search moves. */
export interface SearchOptions {
  /** The p99 bound, ms (5000: the SLO timebertt/kubernetes-controller-sharding evaluates against). */
  sloMs: number;
  /** First rate tried, changes per second. */
  startRate: number;
  /** Step-up factor while every rate so far met the bound. */
  factor: number;
  /** Stop bisecting when the highest passing and lowest failing rate are within this ratio (e.g. 1.15). */
  resolution: number;
  /** At most this many measured rates per peer. */
  maxSteps: number;
  /** Below this rate the search gives up (capacity 0). */
  minRate: number;
  /** Above this rate the search stops stepping up (capacity >= maxRate). */
  maxRate: number;
}

/** Defaults of {@link SearchOptions}. */
export const DEFAULT_SEARCH: SearchOptions = {
  sloMs: 5000,
  startRate: 20,
  factor: 2,
  resolution: 1.15,
  maxSteps: 8,
  minRate: 1,
  maxRate: 2000,
};

const meets = (step: RateStep, sloMs: number) => step.p99Ms <= sloMs;

/** Rounds a rate for display and re-use: integers from 10/s, tenths below. */
export function roundRate(rate: number): number {
  return rate >= 10 ? Math.round(rate) : Math.round(rate * 10) / 10;
}

/** The highest measured rate that met the bound (0 when none did). */
export function capacityOf(steps: readonly RateStep[], sloMs: number): number {
  return Math.max(0, ...steps.filter((s) => meets(s, sloMs)).map((s) => s.rate));
}

/**
 * The next rate to measure, or undefined when the search is done. Step up by `factor` from
 * `startRate` while every rate met the bound; once one failed, bisect between the highest rate
 * that met it and the lowest higher rate that did not, until they are within `resolution`. If the
 * first rate already fails, step down by `factor`. A noisy pass above a failure moves the bracket
 * up (capacity is the highest rate measured to meet the bound).
 */
export function nextRate(steps: readonly RateStep[], opts: SearchOptions = DEFAULT_SEARCH): number | undefined {
  if (steps.length === 0) return roundRate(opts.startRate);
  if (steps.length >= opts.maxSteps) return undefined;
  const tried = new Set(steps.map((s) => s.rate));
  const passing = steps.filter((s) => meets(s, opts.sloMs)).map((s) => s.rate);
  const lo = passing.length ? Math.max(...passing) : undefined;
  const failingAbove = steps.filter((s) => !meets(s, opts.sloMs) && (lo === undefined || s.rate > lo)).map((s) => s.rate);
  const hi = failingAbove.length ? Math.min(...failingAbove) : undefined;
  let next: number;
  if (lo === undefined) {
    next = roundRate(hi! / opts.factor);
    if (next < opts.minRate) return undefined;
  } else if (hi === undefined) {
    if (lo >= opts.maxRate) return undefined;
    next = roundRate(Math.min(opts.maxRate, lo * opts.factor));
  } else {
    if (hi / lo <= opts.resolution) return undefined;
    next = roundRate((lo + hi) / 2);
  }
  return tried.has(next) ? undefined : next;
}
