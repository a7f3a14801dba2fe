/**
 * The pure half of `npm run bench -- --scale` (bench/lib/scale.ts): what one scale run measured,
 * the growth of each figure from the smallest P to the largest, per-object memory, and the
 * Markdown tables of the README's "Scale" section. No I/O, no clock: unit-tested in bench/test.
 */
import type { RequestCounts } from "./apiserver-metrics.js";
import { CHILDREN_PER_PARENT } from "./workload.js";

/** CPU time (ms) of each process of the run during one phase. */
export interface CpuByProcess {
  peer: number;
  apiServer: number;
  etcd: number;
  controllerManager?: number;
  /** The harness itself (its watches, its metrics reads). */
  harness: number;
}

/** Figures of W1b (restart over a backlog) or W2 (restart over converged state) in one scale run. */
export interface ScalePhase {
  /** From the peer's process start to every parent converged (W1b) or P syncs reported (W2). */
  ms: number;
  writes: number;
  requests: RequestCounts;
  cpuMs: CpuByProcess;
}

/** Memory of a peer at one point: RSS from /proc, heap as the peer reports it after a forced GC. */
export interface MemoryReading {
  rssBytes: number;
  /** V8 `used_heap_size` (Node peers) or Go `HeapAlloc` after GC; undefined if the peer cannot tell. */
  heapBytes?: number;
}

/** One peer at one P. */
export interface ScaleRun {
  peer: string;
  parents: number;
  /** Objects the peer's caches hold when converged: P parents + 3P children. */
  cachedObjects: number;
  /** How long creating the backlog took (untimed work of the harness). */
  backlogMs?: number;
  w1b?: ScalePhase;
  /** W1b that did not converge in time: how long it ran and how many parents had converged. */
  w1bUnfinished?: { ms: number; converged: number };
  /** Operators only: a restart over the converged state W1b left. */
  w2?: ScalePhase;
  /** Ready over an empty namespace (caches listed, nothing in them). */
  empty?: MemoryReading;
  /** Right after W1b converged and went quiet. */
  afterW1b?: MemoryReading;
  /** After W2: a fresh process that listed the full state and synced every parent once. */
  afterW2?: MemoryReading;
  peakRssBytes?: number;
  /** tsoperator only: its caches alone (bench/memory/cache-heap.ts) over the converged state, with and without string interning. */
  cacheHeap?: Partial<Record<"plain" | "intern", CacheHeapReading>>;
  /** Load average (1, 5, 15 min) when the run began and ended. */
  loadavg?: { start: number[]; end: number[] };
  error?: string;
}

/** What bench/memory/cache-heap.ts printed: `CACHE <objects> <heap before> <heap after> <rss after>`. */
export interface CacheHeapReading {
  objects: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  rssBytes: number;
}

/** Parses a `CACHE ...` line; undefined for any other line. */
export function parseCacheLine(line: string): CacheHeapReading | undefined {
  const m = /^CACHE (\d+) (\d+) (\d+) (\d+)$/.exec(line.trim());
  if (!m) return undefined;
  return { objects: Number(m[1]), heapBeforeBytes: Number(m[2]), heapAfterBytes: Number(m[3]), rssBytes: Number(m[4]) };
}

/** Heap per cached object of a cache-heap reading, bytes. */
export function cacheHeapPerObject(r: CacheHeapReading): number | undefined {
  return r.objects > 0 ? (r.heapAfterBytes - r.heapBeforeBytes) / r.objects : undefined;
}

/** The caches alone, with and without interning, one row per run that measured them (Markdown). */
export function cacheHeapTable(runs: ScaleRun[]): string {
  const head = "| P | cached objects | heap / object, plain | heap / object, interned | saved | RSS plain → interned |";
  const rows = runs.flatMap((r) => {
    const { plain, intern } = r.cacheHeap ?? {};
    if (!plain || !intern) return [];
    const a = cacheHeapPerObject(plain);
    const b = cacheHeapPerObject(intern);
    const saved = a !== undefined && b !== undefined && a > 0 ? `${(((a - b) / a) * 100).toFixed(0)} %` : "—";
    return [`| ${r.parents} | ${plain.objects} | ${kb(a)} | ${kb(b)} | ${saved} | ${mb(plain.rssBytes)} → ${mb(intern.rssBytes)} |`];
  });
  return [head, `|${"---|".repeat(6)}`, ...rows].join("\n");
}

/** Per-object memory of a run: (full - empty) / cached objects, bytes. */
export interface PerObject {
  rssBytes?: number;
  heapBytes?: number;
}

/** The full-cache reading of a run: after W2 (a fresh process over the full state) or else after W1b. */
export function fullReading(run: ScaleRun): MemoryReading | undefined {
  return run.afterW2 ?? run.afterW1b;
}

/** Memory per cached object, from the empty and full readings. */
export function perObject(run: ScaleRun): PerObject {
  const full = fullReading(run);
  if (!full || !run.empty || run.cachedObjects <= 0) return {};
  const out: PerObject = { rssBytes: (full.rssBytes - run.empty.rssBytes) / run.cachedObjects };
  if (full.heapBytes !== undefined && run.empty.heapBytes !== undefined)
    out.heapBytes = (full.heapBytes - run.empty.heapBytes) / run.cachedObjects;
  return out;
}

/** Objects a peer caches at P parents. */
export function cachedObjects(parents: number): number {
  return parents * (1 + CHILDREN_PER_PARENT);
}

/** The figures growth is computed on, for one run. */
export interface GrowthFigures {
  w1bMs?: number;
  w1bWrites?: number;
  w1bPeerCpuMs?: number;
  w1bApiServerCpuMs?: number;
  w1bEtcdCpuMs?: number;
  w2Ms?: number;
  w2Writes?: number;
  w2PeerCpuMs?: number;
  /** RSS with the full cache. */
  rssBytes?: number;
  /** Heap with the full cache, after GC. */
  heapBytes?: number;
  peakRssBytes?: number;
}

/** The growth-relevant figures of a run. */
export function growthFigures(run: ScaleRun): GrowthFigures {
  const full = fullReading(run);
  return {
    w1bMs: run.w1b?.ms,
    w1bWrites: run.w1b?.writes,
    w1bPeerCpuMs: run.w1b?.cpuMs.peer,
    w1bApiServerCpuMs: run.w1b?.cpuMs.apiServer,
    w1bEtcdCpuMs: run.w1b?.cpuMs.etcd,
    w2Ms: run.w2?.ms,
    w2Writes: run.w2?.writes,
    w2PeerCpuMs: run.w2?.cpuMs.peer,
    rssBytes: full?.rssBytes,
    heapBytes: full?.heapBytes,
    peakRssBytes: run.peakRssBytes,
  };
}

/** large / small per figure (undefined where either is missing, or small is 0 and large is not). */
export function growth(small: GrowthFigures, large: GrowthFigures): Record<keyof GrowthFigures, number | undefined> {
  const out = {} as Record<keyof GrowthFigures, number | undefined>;
  for (const key of Object.keys({ ...small, ...large }) as Array<keyof GrowthFigures>) {
    const a = small[key];
    const b = large[key];
    if (a === undefined || b === undefined) out[key] = undefined;
    else if (a === 0) out[key] = b === 0 ? 1 : undefined;
    else out[key] = b / a;
  }
  return out;
}

/** Per peer, its runs at the smallest and the largest P (runs that failed are left out). */
export function growthPairs(runs: ScaleRun[]): Array<{ peer: string; small: ScaleRun; large: ScaleRun }> {
  const peers = [...new Set(runs.map((r) => r.peer))];
  return peers.flatMap((peer) => {
    const ok = runs.filter((r) => r.peer === peer && !r.error).sort((a, b) => a.parents - b.parents);
    const small = ok[0];
    const large = ok[ok.length - 1];
    return small && large && small.parents < large.parents ? [{ peer, small, large }] : [];
  });
}

const s = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
const mb = (bytes: number | undefined) => (bytes === undefined ? "—" : `${(bytes / 2 ** 20).toFixed(1)} MB`);
const kb = (bytes: number | undefined) => (bytes === undefined ? "—" : `${(bytes / 1024).toFixed(2)} KiB`);
const n = (x: number | undefined) => (x === undefined ? "—" : String(x));
const x = (r: number | undefined) => (r === undefined ? "—" : `${r.toFixed(2)}x`);

/** One row per run: W1b, W2 and memory figures (Markdown). */
export function scaleTable(runs: ScaleRun[]): string {
  const head =
    "| peer | P | W1b time | W1b writes | W1b CPU peer / apiserver / etcd | W2 time | W2 writes | W2 peer CPU | " +
    "RSS empty → full | heap empty → full | RSS / object | heap / object | peak RSS | load avg (1 min) start/end |";
  const rule = `|${"---|".repeat(14)}`;
  const rows = runs.map((r) => {
    const per = perObject(r);
    const full = fullReading(r);
    const c = r.w1b?.cpuMs;
    const load = r.loadavg ? `${r.loadavg.start[0]?.toFixed(1)} / ${r.loadavg.end[0]?.toFixed(1)}` : "—";
    return (
      `| ${r.peer}${r.error ? " (failed)" : ""} | ${r.parents} | ${r.w1bUnfinished ? `> ${s(r.w1bUnfinished.ms)} (${r.w1bUnfinished.converged} converged)` : s(r.w1b?.ms)} | ${n(r.w1b?.writes)} | ` +
      `${c ? `${s(c.peer)} / ${s(c.apiServer)} / ${s(c.etcd)}` : "—"} | ${s(r.w2?.ms)} | ${n(r.w2?.writes)} | ${s(r.w2?.cpuMs.peer)} | ` +
      `${mb(r.empty?.rssBytes)} → ${mb(full?.rssBytes)} | ${mb(r.empty?.heapBytes)} → ${mb(full?.heapBytes)} | ` +
      `${kb(per.rssBytes)} | ${kb(per.heapBytes)} | ${mb(r.peakRssBytes)} | ${load} |`
    );
  });
  return [head, rule, ...rows].join("\n");
}

/** Growth from the smallest to the largest P, one row per peer (Markdown). */
export function growthTable(runs: ScaleRun[]): string {
  const pairs = growthPairs(runs);
  const head =
    "| peer | P | W1b time | W1b writes | W1b peer CPU | W1b apiserver CPU | W1b etcd CPU | W2 time | W2 writes | RSS full | heap full |";
  const rule = `|${"---|".repeat(11)}`;
  const rows = pairs.map(({ peer, small, large }) => {
    const g = growth(growthFigures(small), growthFigures(large));
    return (
      `| ${peer} | ${small.parents} → ${large.parents} | ${x(g.w1bMs)} | ${x(g.w1bWrites)} | ${x(g.w1bPeerCpuMs)} | ` +
      `${x(g.w1bApiServerCpuMs)} | ${x(g.w1bEtcdCpuMs)} | ${x(g.w2Ms)} | ${x(g.w2Writes)} | ${x(g.rssBytes)} | ${x(g.heapBytes)} |`
    );
  });
  return [head, rule, ...rows].join("\n");
}

/** `subject`'s figure over `reference`'s at the same P (W1b and W2 time), for the targets. */
export function timeRatio(runs: ScaleRun[], subject: string, reference: string, parents: number, phase: "w1b" | "w2"): number | undefined {
  const a = runs.find((r) => r.peer === subject && r.parents === parents && !r.error)?.[phase]?.ms;
  const b = runs.find((r) => r.peer === reference && r.parents === parents && !r.error)?.[phase]?.ms;
  return a !== undefined && b ? a / b : undefined;
}

/** Parses a peer's `HEAP <heap bytes> <rss-ish bytes>` line; undefined for any other line. */
export function parseHeapLine(line: string): { heapBytes: number } | undefined {
  const m = /^HEAP (\d+)(?: |$)/.exec(line);
  return m ? { heapBytes: Number(m[1]) } : undefined;
}

/** `--scale` alone: 1,000 and 10,000; `--scale 200,1000`: those. */
export function parseScaleSizes(value: string | undefined): number[] {
  if (!value || value.startsWith("--")) return [1000, 10_000];
  const sizes = value.split(",").map((v) => Number(v.replace(/_/g, "")));
  if (sizes.some((v) => !Number.isInteger(v) || v <= 0)) throw new Error(`--scale: bad sizes ${value}`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}
