/**
 * `npm run bench -- --scale [sizes]` (issue 15, "Scale"): for each P (default 1,000 and 10,000) and
 * each peer (tsoperator, controller-runtime, raw-client-go), in a fresh namespace:
 * 1. memory at an empty cache: the peer started over the empty namespace, READY, RSS and heap
 *    (`HEAP` on stdin: V8's used heap or Go's HeapAlloc after a forced GC), stopped;
 * 2. W1b: a backlog of P parents created with no operator running (the harness, many in flight:
 *    untimed), then the peer started; timed from its process start to every parent converged, with
 *    writes, and CPU of the peer, kube-apiserver, etcd, the controller manager and the harness;
 * 3. W2 (operators): the peer restarted over the converged state W1b left; timed from process start
 *    to P syncs reported, with writes (target 0) and CPU; then RSS and heap with the full cache.
 * Writes bench/results/scale.json and bench/results/scale.md (the tables of the README's "Scale"
 * section); the headless-Services variant (`BENCH_HEADLESS_SERVICES=1`, lib/workload.ts) writes
 * scale-headless.json and scale-headless.md instead, so it never replaces the workload's figures.
 * `BENCH_SCALE_RAW_MAX=<P>` runs the raw bound only up to that P; `BENCH_SCALE_CPU_PROF=1` runs tsoperator at the largest P with `--cpu-prof` (profiles in
 * bench/results/tmp/cpu-prof-<namespace>/). Every peer and size runs on a local control plane of its own, so no run
 * meets another's objects.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { LocalControlPlane } from "../../src/testing/control-plane/local-control-plane.js";
import { countWrites, diffCounts, readRequestTotals, snapshotOwn } from "./apiserver-metrics.js";
import { apiServerProfileDir } from "./apiserver-profile.js";
import { startBenchCluster } from "./bench-cluster.js";
import type { KubeHttp } from "./kube-http.js";
import { ConvergenceObserver } from "./observer.js";
import { PeerProcess, readProcUsage, type PeerCommand } from "./peer-process.js";
import type { PeerDefinition } from "./peers.js";
import { createNamespace, forEachLimited, waitQuiet } from "./phases.js";
import {
  cacheHeapTable,
  cachedObjects,
  growthTable,
  parseCacheLine,
  parseHeapLine,
  scaleTable,
  timeRatio,
  type CacheHeapReading,
  type CpuByProcess,
  type MemoryReading,
  type ScalePhase,
  type ScaleRun,
} from "./scale-report.js";
import { headlessServices, PARENT_API_VERSION, PARENT_PLURAL, parentName, parentObject, payloadFor } from "./workload.js";

/** Peers a scale run compares (raw-node is left out: it adds nothing at 10,000 that raw-client-go does not). */
export const SCALE_PEERS = ["tsoperator", "controller-runtime", "raw-client-go"];

/** What the scale run needs from bench/run.ts. */
export interface ScaleOptions {
  sizes: number[];
  peers: PeerDefinition[];
  commands: Map<string, PeerCommand>;
  write: boolean;
  root: string;
  log: (line: string) => void;
}

interface Ctx {
  http: KubeHttp;
  cp: LocalControlPlane;
  logDir: string;
  log: (line: string) => void;
}

/** Parents created at once while building a backlog (untimed; the harness's pool has 32 connections, 3 hold watches). */
const BACKLOG_CONCURRENCY = 24;

/** Runs the scale benchmark; see the module comment. */
export async function runScaleBench(opts: ScaleOptions): Promise<ScaleRun[]> {
  const { log, root } = opts;
  const peers = opts.peers.filter((p) => SCALE_PEERS.includes(p.name));
  const rawMax = Number(process.env.BENCH_SCALE_RAW_MAX ?? Number.POSITIVE_INFINITY);
  const cpuProf = process.env.BENCH_SCALE_CPU_PROF === "1";
  log(
    `scale: P=${opts.sizes.join(", ")} peers=${peers.map((p) => p.name).join(",")}${Number.isFinite(rawMax) ? ` raw up to P=${rawMax}` : ""}`,
  );
  const runs: ScaleRun[] = [];
  const began = new Date().toISOString();
  const largest = Math.max(...opts.sizes);
  const plan = runPlan(opts.sizes, peers, rawMax);
  for (const { P, peer } of plan) {
    if (Date.now() > deadline) {
      log(`scale: ${peer.name} P=${P} skipped: past BENCH_SCALE_DEADLINE`);
      runs.push({ peer: peer.name, parents: P, cachedObjects: cachedObjects(P), error: "skipped: past BENCH_SCALE_DEADLINE" });
      continue;
    }
    // Each run on a control plane of its own: a run that met another's objects (40,000 at 10,000 parents) in etcd
    // and the API server's watch cache ran on a slower server (seen: 63 s at 1,000 against 22 s on a fresh one), and
    // deleting them takes minutes; a start takes ~5 s. The namespace is left: the plane goes with it.
    const { cp, http, logDir, stop } = await startBenchCluster(root, log);
    try {
      let cmd = opts.commands.get(peer.name)!;
      if (cmd.command === process.execPath) cmd = { ...cmd, args: ["--expose-gc", ...cmd.args] };
      if (cpuProf && peer.name === "tsoperator" && P === largest) {
        const dir = join(logDir, `cpu-prof-${namespaceOf(peer.name, P)}`);
        cmd = { ...cmd, args: ["--cpu-prof", `--cpu-prof-dir=${dir}`, ...cmd.args] };
      }
      runs.push(await runOne({ http, cp, logDir, log }, peer, cmd, P));
      if (opts.write) writeResults(opts, cp, began, runs);
    } finally {
      await stop();
    }
  }
  for (const r of runs)
    log(
      `scale ${r.peer} P=${r.parents}: W1b ${r.w1b?.ms} ms ${r.w1b?.writes} writes, W2 ${r.w2?.ms ?? "-"} ms ${r.w2?.writes ?? "-"} writes`,
    );
  return runs;
}

/**
 * The order of the runs: tsoperator at the largest P first, then every peer at the smaller sizes,
 * then the other peers at the largest P (the raw bound only up to `rawMax`). On a shared machine
 * with a deadline, what is cut is the end: tsoperator's growth and memory at 10,000 come first,
 * controller-runtime's W1b at 10,000 (the longest run by far) last.
 */
export function runPlan<T extends { name: string; kind: string }>(
  sizes: number[],
  peers: T[],
  rawMax: number,
): Array<{ P: number; peer: T }> {
  const largest = Math.max(...sizes);
  const fits = (P: number, peer: T) => !(peer.kind === "raw" && P > rawMax);
  const first = peers.filter((p) => p.name === "tsoperator").map((peer) => ({ P: largest, peer }));
  const smaller = sizes.filter((P) => P < largest).flatMap((P) => peers.filter((p) => fits(P, p)).map((peer) => ({ P, peer })));
  const rest = peers.filter((p) => p.name !== "tsoperator" && fits(largest, p)).map((peer) => ({ P: largest, peer }));
  return [...first, ...smaller, ...rest];
}

function namespaceOf(peer: string, P: number): string {
  return `scale-${peer}-${P}`.replace(/[^a-z0-9-]/g, "-");
}

function writeResults(opts: ScaleOptions, cp: LocalControlPlane, began: string, runs: ScaleRun[]): void {
  const dir = join(opts.root, "bench", "results");
  const sizes = opts.sizes;
  const largest = Math.max(...sizes);
  const result = {
    date: began,
    updated: new Date().toISOString(),
    sizes,
    ...(headlessServices() ? { headlessServices: true } : {}),
    ...(apiServerProfileDir() ? { apiServerProfiling: true } : {}),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30) },
    versions: { kubernetes: cp.version.kubernetes, etcd: cp.version.etcd, node: process.version },
    ratios: Object.fromEntries(
      sizes.map((P) => [
        P,
        {
          w1bToControllerRuntime: timeRatio(runs, "tsoperator", "controller-runtime", P, "w1b"),
          w1bToRawClientGo: timeRatio(runs, "tsoperator", "raw-client-go", P, "w1b"),
          w2ToControllerRuntime: timeRatio(runs, "tsoperator", "controller-runtime", P, "w2"),
        },
      ]),
    ),
    runs,
  };
  const base = headlessServices() ? "scale-headless" : "scale";
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const ratioLine = (P: number) => {
    const r = result.ratios[P]!;
    const f = (v: number | undefined) => (v === undefined ? "—" : `${v.toFixed(2)}x`);
    return `P=${P}: tsoperator ÷ controller-runtime W1b ${f(r.w1bToControllerRuntime)}, W2 ${f(r.w2ToControllerRuntime)}; ÷ raw-client-go W1b ${f(r.w1bToRawClientGo)}`;
  };
  const md = [
    `Run ${began.slice(0, 16)} UTC, P=${sizes.join(", ")}, ${result.machine.cpus} CPUs, Kubernetes ${result.versions.kubernetes}, Node ${process.version}` +
      `${headlessServices() ? "; headless Services (BENCH_HEADLESS_SERVICES=1: no ClusterIP allocation)" : ""}.`,
    "",
    scaleTable(runs),
    "",
    `Growth ${Math.min(...sizes)} → ${largest}:`,
    "",
    growthTable(runs),
    "",
    "tsoperator's caches alone (bench/memory/cache-heap.ts), without and with string interning:",
    "",
    cacheHeapTable(runs),
    "",
    ...sizes.map(ratioLine),
    "",
  ].join("\n");
  writeFileSync(join(dir, `${base}.md`), md);
}

async function cpuNow(ctx: Ctx, proc: PeerProcess | undefined): Promise<CpuByProcess> {
  const pids = ctx.cp.pids;
  const read = async (pid: number | undefined) => (pid ? ((await readProcUsage(pid).catch(() => undefined))?.cpuMs ?? 0) : 0);
  const own = process.cpuUsage();
  return {
    peer: proc ? (await proc.usage()).cpuMs : 0,
    apiServer: await read(pids.apiServer),
    etcd: await read(pids.etcd),
    controllerManager: await read(pids.controllerManager),
    harness: (own.user + own.system) / 1000,
  };
}

function cpuDiff(a: CpuByProcess, b: CpuByProcess): CpuByProcess {
  return {
    peer: b.peer - a.peer,
    apiServer: b.apiServer - a.apiServer,
    etcd: b.etcd - a.etcd,
    controllerManager: (b.controllerManager ?? 0) - (a.controllerManager ?? 0),
    harness: Math.round(b.harness - a.harness),
  };
}

/** Asks the peer for `HEAP` and waits (at most 30 s) for the answer; RSS from /proc. */
async function readMemory(proc: PeerProcess, askHeap: boolean): Promise<MemoryReading> {
  let heapBytes: number | undefined;
  if (askHeap) {
    const seen = proc.lines.length;
    proc.send("HEAP");
    const deadline = performance.now() + 30_000;
    while (heapBytes === undefined && performance.now() < deadline && !proc.hasExited) {
      await new Promise((r) => setTimeout(r, 50));
      for (const { line } of proc.lines.slice(seen)) heapBytes ??= parseHeapLine(line)?.heapBytes;
    }
  }
  // RSS after the GC the heap reading forced (for Node, that GC returns young-generation pages too).
  const { rssBytes } = await proc.usage();
  return { rssBytes, ...(heapBytes !== undefined ? { heapBytes } : {}) };
}

/**
 * `BENCH_SCALE_DEADLINE` (an ISO time): no wait runs past it, so a run on a shared machine ends when
 * planned with what it measured so far (an unfinished W1b records how far the peer got).
 */
const deadline = process.env.BENCH_SCALE_DEADLINE ? Date.parse(process.env.BENCH_SCALE_DEADLINE) : Number.POSITIVE_INFINITY;

/** `timeoutMs`, or less when the deadline comes first (at least 1 s). */
function capped(timeoutMs: number): number {
  return Math.max(1000, Math.min(timeoutMs, deadline - Date.now()));
}

/** One peer at one P; never throws (failures land in `error`). */
async function runOne(ctx: Ctx, peer: PeerDefinition, cmd: PeerCommand, P: number): Promise<ScaleRun> {
  const { http, log } = ctx;
  const ns = namespaceOf(peer.name, P);
  const run: ScaleRun = { peer: peer.name, parents: P, cachedObjects: cachedObjects(P), loadavg: { start: loadavg(), end: [] } };
  const logPath = join(ctx.logDir, `${ns}.log`);
  const parentsPath = `/apis/${PARENT_API_VERSION}/namespaces/${ns}/${PARENT_PLURAL}`;
  const operator = peer.kind === "operator";
  const tag = `${peer.name} P=${P}`;
  let proc: PeerProcess | undefined;
  let peak = 0;
  const stop = async () => {
    // 30 s of grace: a process run with --cpu-prof writes its profile on the way out.
    if (proc) peak = Math.max(peak, (await proc.stop(30_000)).peakRssBytes);
    proc = undefined;
  };
  await createNamespace(http, ns);
  const observer = new ConvergenceObserver(http, ns);
  try {
    // 1. Memory with empty caches.
    proc = PeerProcess.start(peer.name, cmd, ctx.cp.kubeconfigPath, ns, logPath);
    await proc.waitReady(120_000);
    await new Promise((r) => setTimeout(r, 1000));
    run.empty = await readMemory(proc, operator);
    await stop();
    log(`  ${tag}: empty cache RSS ${mbOf(run.empty.rssBytes)}, heap ${mbOf(run.empty.heapBytes)}`);

    // 2. W1b.
    await observer.start();
    log(`  ${tag}: creating a backlog of ${P} parents (no operator running)`);
    const names = Array.from({ length: P }, (_, i) => parentName(i));
    observer.beginPhase("converge", P);
    const backlogBegan = performance.now();
    await forEachLimited(names, BACKLOG_CONCURRENCY, async (name) => {
      const parent = (await http.send<any>("POST", parentsPath, { body: parentObject(ns, name) }))!;
      observer.expect(name, { payload: payloadFor(name, 1), generation: parent.metadata.generation });
    });
    run.backlogMs = Math.round(performance.now() - backlogBegan);
    log(`  ${tag}: backlog created in ${run.backlogMs} ms; W1b: starting the peer`);
    const progress = setInterval(() => log(`  ${tag}: ${observer.describe()} syncs=${proc?.syncCount ?? "-"}`), 10_000);
    try {
      const [m0, own0, cpu0] = [await readRequestTotals(http), snapshotOwn(http.counts), await cpuNow(ctx, undefined)];
      const started = performance.now();
      proc = PeerProcess.start(peer.name, cmd, ctx.cp.kubeconfigPath, ns, logPath);
      if (!operator) {
        // The raw bound: one list, one job per parent.
        const list = (await http.send<any>("GET", parentsPath))!.items as any[];
        for (const p of list) {
          const m = p.metadata;
          proc.send(JSON.stringify({ op: "w1", name: m.name, uid: m.uid, generation: m.generation, payload: p.spec?.payload ?? "" }));
        }
      }
      try {
        await observer.waitConverged(P, capped(60_000 + P * 400));
      } catch (err) {
        // Not converged in time (or by the run's deadline): keep how far the peer got, and its rate.
        run.w1bUnfinished = { ms: Math.round(performance.now() - started), converged: observer.convergedCount };
        throw err;
      }
      const ms = Math.round(performance.now() - started);
      await waitQuiet(proc, 30_000);
      run.w1b = await phaseFigures(ctx, proc, ms, m0, own0, cpu0);
      run.afterW1b = await readMemory(proc, operator);
      log(`  ${tag}: W1b ${ms} ms, ${run.w1b.writes} writes, RSS ${mbOf(run.afterW1b.rssBytes)}, heap ${mbOf(run.afterW1b.heapBytes)}`);

      // 3. W2: the same peer restarted over the state W1b left.
      if (operator) {
        await stop();
        const [n0, ownB, cpuB] = [await readRequestTotals(http), snapshotOwn(http.counts), await cpuNow(ctx, undefined)];
        const began = performance.now();
        proc = PeerProcess.start(peer.name, cmd, ctx.cp.kubeconfigPath, ns, logPath);
        await proc.waitSyncs(P, capped(60_000 + P * 100));
        const w2ms = Math.round(performance.now() - began);
        await waitQuiet(proc, 30_000);
        run.w2 = await phaseFigures(ctx, proc, w2ms, n0, ownB, cpuB);
        run.afterW2 = await readMemory(proc, true);
        log(`  ${tag}: W2 ${w2ms} ms, ${run.w2.writes} writes, RSS ${mbOf(run.afterW2.rssBytes)}, heap ${mbOf(run.afterW2.heapBytes)}`);
      }
      // 4. tsoperator: its caches alone over the converged state, without and with string interning.
      if (peer.name === "tsoperator") {
        await stop();
        run.cacheHeap = {};
        for (const mode of ["plain", "intern"] as const) {
          const reading = await measureCaches(ctx, ns, mode);
          if (reading) run.cacheHeap[mode] = reading;
          log(`  ${tag}: caches alone (${mode}): ${JSON.stringify(run.cacheHeap[mode])}`);
        }
      }
    } finally {
      clearInterval(progress);
    }
  } catch (err) {
    run.error = (err as Error).message;
    log(`  ${tag}: FAILED: ${run.error} (peer log: ${logPath})`);
  } finally {
    await stop();
    run.peakRssBytes = peak;
    run.loadavg!.end = loadavg();
    observer.stop();
  }
  return run;
}

const execFileAsync = promisify(execFile);

/** Runs bench/memory/cache-heap.js over the namespace (a process of its own) and reads its `CACHE` line. */
async function measureCaches(ctx: Ctx, ns: string, mode: "plain" | "intern"): Promise<CacheHeapReading | undefined> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "..", "memory", "cache-heap.js");
  try {
    const { stdout } = await execFileAsync(process.execPath, ["--expose-gc", script, ctx.cp.kubeconfigPath, ns, mode], {
      timeout: 300_000,
    });
    return stdout
      .split("\n")
      .map(parseCacheLine)
      .find((r) => r !== undefined);
  } catch (err) {
    ctx.log(`  ${ns}: cache-heap ${mode} failed: ${(err as Error).message}`);
    return undefined;
  }
}

async function phaseFigures(
  ctx: Ctx,
  proc: PeerProcess,
  ms: number,
  m0: Record<string, number>,
  own0: Record<string, number>,
  cpu0: CpuByProcess,
): Promise<ScalePhase> {
  const [m1, own1, cpu1] = [await readRequestTotals(ctx.http), snapshotOwn(ctx.http.counts), await cpuNow(ctx, proc)];
  const requests = diffCounts(m0, m1, diffCounts(own0, own1));
  return { ms, writes: countWrites(requests), requests, cpuMs: cpuDiff(cpu0, cpu1) };
}

function mbOf(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}
