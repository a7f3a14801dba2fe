/**
 * Pure statistics of the soak (`npm run soak`): what its samples of the operator's memory and work
 * queue say — the RSS slope after warm-up (least squares), the queue depth's bounds, and the
 * verdict sentence for docs/reliability.md. No I/O: the runner feeds it the samples.
 */

/** One sample of the operator process, taken every few seconds. */
export interface SoakSample {
  /** Seconds since the soak's clock started. */
  t: number;
  /** Resident set size of the operator process (from /proc), MiB. */
  rssMiB: number;
  /** V8 heap used (`nodejs_heap_size_used_bytes`), MiB; null when the metrics could not be read. */
  heapMiB: number | null;
  /** Keys waiting in the work queues (`workqueue_depth`, summed); null when unread. */
  queueDepth: number | null;
  /** Parents not (yet) converged to the harness's last change, as the harness sees it. */
  pending: number;
}

/** A least-squares line y = intercept + slope * x. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Number of points fitted. */
  n: number;
}

/** Fits y = a + b x by least squares; slope 0 for fewer than two distinct x. */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): LineFit {
  const n = points.length;
  if (n === 0) return { slope: 0, intercept: 0, n };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx, n };
}

/** The value below which `q` (0..1) of `values` lie (nearest rank); 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** What the soak's samples say. */
export interface SoakStats {
  /** Seconds of warm-up left out of the memory verdict. */
  warmupSeconds: number;
  /** Samples after warm-up. */
  samplesAfterWarmup: number;
  rss: {
    /** Least-squares slope after warm-up, MiB per minute. */
    slopeMiBPerMin: number;
    /** That slope times the post-warm-up span: growth the trend explains, MiB. */
    trendGrowthMiB: number;
    /** Mean, min and max after warm-up, MiB. */
    meanMiB: number;
    minMiB: number;
    maxMiB: number;
    /** Peak over the whole soak, MiB. */
    peakMiB: number;
    /** The same from `settledFromSeconds` (e.g. a minute after the API server restart) to the end. */
    settled?: { fromSeconds: number; slopeMiBPerMin: number; trendGrowthMiB: number; minMiB: number; maxMiB: number; flat: boolean };
  };
  heap: { slopeMiBPerMin: number; meanMiB: number; maxMiB: number };
  queue: {
    /** Largest depth seen over the whole soak. */
    max: number;
    /** 95th percentile of the depth after warm-up. */
    p95: number;
    /** Mean depth after warm-up. */
    mean: number;
    /** Depth at the last sample. */
    last: number;
  };
  /** RSS flat after warm-up: the trend explains less than `flatTolerance` of the mean (and <= 10 MiB). */
  rssFlat: boolean;
  /** Queue depth bounded: it never exceeded `bound` and was back at 0 (or near) at the end. */
  queueBounded: boolean;
}

/** How the verdicts are decided. */
export interface SoakVerdictOptions {
  warmupSeconds: number;
  /** Fraction of the mean RSS the post-warm-up trend may explain and still be called flat. Default 0.05. */
  flatTolerance?: number;
  /** The depth the queue must stay under to be called bounded (e.g. the number of parents). */
  bound: number;
  /** Also fit the RSS from this moment on (seconds), e.g. once the API server restart has settled. */
  settledFromSeconds?: number;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Computes {@link SoakStats} from the samples. */
export function soakStats(samples: readonly SoakSample[], opts: SoakVerdictOptions): SoakStats {
  const after = samples.filter((s) => s.t >= opts.warmupSeconds);
  const rssFit = linearFit(after.map((s) => [s.t / 60, s.rssMiB] as const));
  const heapPoints = after.filter((s) => s.heapMiB !== null).map((s) => [s.t / 60, s.heapMiB!] as const);
  const heapFit = linearFit(heapPoints);
  const spanMin = after.length > 1 ? (after.at(-1)!.t - after[0]!.t) / 60 : 0;
  const rssAfter = after.map((s) => s.rssMiB);
  const meanRss = rssAfter.length ? rssAfter.reduce((a, b) => a + b, 0) / rssAfter.length : 0;
  const depths = samples.filter((s) => s.queueDepth !== null).map((s) => s.queueDepth!);
  const depthsAfter = after.filter((s) => s.queueDepth !== null).map((s) => s.queueDepth!);
  const trendGrowth = rssFit.slope * spanMin;
  const flat = (growth: number, mean: number) => Math.abs(growth) <= Math.min(10, (opts.flatTolerance ?? 0.05) * mean);
  let settled: SoakStats["rss"]["settled"];
  if (opts.settledFromSeconds !== undefined) {
    const late = samples.filter((s) => s.t >= opts.settledFromSeconds!);
    if (late.length >= 2) {
      const fit = linearFit(late.map((s) => [s.t / 60, s.rssMiB] as const));
      const growth = fit.slope * ((late.at(-1)!.t - late[0]!.t) / 60);
      const values = late.map((s) => s.rssMiB);
      settled = {
        fromSeconds: opts.settledFromSeconds,
        slopeMiBPerMin: round(fit.slope, 3),
        trendGrowthMiB: round(growth, 1),
        minMiB: round(Math.min(...values), 1),
        maxMiB: round(Math.max(...values), 1),
        flat: flat(growth, values.reduce((a, b) => a + b, 0) / values.length),
      };
    }
  }
  const max = depths.length ? Math.max(...depths) : 0;
  const last = depths.at(-1) ?? 0;
  return {
    warmupSeconds: opts.warmupSeconds,
    samplesAfterWarmup: after.length,
    rss: {
      slopeMiBPerMin: round(rssFit.slope, 3),
      trendGrowthMiB: round(trendGrowth, 1),
      meanMiB: round(meanRss, 1),
      minMiB: round(rssAfter.length ? Math.min(...rssAfter) : 0, 1),
      maxMiB: round(rssAfter.length ? Math.max(...rssAfter) : 0, 1),
      peakMiB: round(samples.length ? Math.max(...samples.map((s) => s.rssMiB)) : 0, 1),
      ...(settled ? { settled } : {}),
    },
    heap: {
      slopeMiBPerMin: round(heapFit.slope, 3),
      meanMiB: round(heapPoints.length ? heapPoints.reduce((a, [, y]) => a + y, 0) / heapPoints.length : 0, 1),
      maxMiB: round(heapPoints.length ? Math.max(...heapPoints.map(([, y]) => y)) : 0, 1),
    },
    queue: {
      max,
      p95: quantile(depthsAfter, 0.95),
      mean: round(depthsAfter.length ? depthsAfter.reduce((a, b) => a + b, 0) / depthsAfter.length : 0, 1),
      last,
    },
    rssFlat: after.length >= 2 && flat(trendGrowth, meanRss),
    queueBounded: max <= opts.bound && last <= Math.max(1, opts.bound / 100),
  };
}

/** One sentence per verdict, for the docs. */
export function soakVerdict(stats: SoakStats): string {
  const r = stats.rss;
  const q = stats.queue;
  const rss =
    `RSS ${stats.rssFlat ? "flat" : "NOT flat"} after the ${Math.round(stats.warmupSeconds / 60)}-min warm-up: ` +
    `slope ${r.slopeMiBPerMin >= 0 ? "+" : ""}${r.slopeMiBPerMin.toFixed(2)} MiB/min (least squares), ` +
    `${r.trendGrowthMiB >= 0 ? "+" : ""}${r.trendGrowthMiB.toFixed(1)} MiB over the rest of the run, ` +
    `between ${r.minMiB.toFixed(0)} and ${r.maxMiB.toFixed(0)} MiB (mean ${r.meanMiB.toFixed(0)}); ` +
    `heap used ${stats.heap.slopeMiBPerMin >= 0 ? "+" : ""}${stats.heap.slopeMiBPerMin.toFixed(2)} MiB/min.` +
    (r.settled
      ? ` From minute ${(r.settled.fromSeconds / 60).toFixed(1)} on: ${r.settled.flat ? "flat" : "NOT flat"}, slope ` +
        `${r.settled.slopeMiBPerMin >= 0 ? "+" : ""}${r.settled.slopeMiBPerMin.toFixed(2)} MiB/min ` +
        `(${r.settled.trendGrowthMiB >= 0 ? "+" : ""}${r.settled.trendGrowthMiB.toFixed(1)} MiB), ` +
        `between ${r.settled.minMiB.toFixed(0)} and ${r.settled.maxMiB.toFixed(0)} MiB.`
      : "");
  const queue =
    `Queue depth ${stats.queueBounded ? "bounded" : "NOT bounded"}: at most ${q.max}, ` +
    `95th percentile ${q.p95} after warm-up (mean ${q.mean.toFixed(1)}), ${q.last} at the end.`;
  return `${rss} ${queue}`;
}

/** Sums every series of metric `name` in a Prometheus text exposition; undefined when absent. */
export function sumMetric(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== " " && line[name.length] !== "{")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}
