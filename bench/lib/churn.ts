/**
 * W5 churn capacity, the I/O (bench/README.md "W5 churn capacity"): every peer gets a namespace
 * with P converged parents; then an open-loop driver changes random parents' `spec.payload` at a
 * fixed rate (Poisson arrivals planned in advance by lib/churn-plan.ts and sent on time whatever
 * the operator does), and the harness's watches time each change until the parent has converged
 * for it. Per peer, a capacity search steps the rate up and bisects (lib/churn-plan.ts
 * `nextRate`); the peers' searches run interleaved, step by step, order alternating, on one
 * control plane, so a machine that gets busier slows every peer alike. Then each peer runs once
 * at half its capacity.
 *
 * Latency is measured from the harness's patch returning (the operator cannot see a change
 * before the API server has committed it; the patch's own round trip is the API server's and is
 * reported apart as `patch`), and also from the planned arrival (`fromArrival`), to the watch
 * event that shows the parent converged for that change.
 *
 * The raw bound gets a W3-style job per change as its patch returns; like a work queue it holds
 * at most one job per parent in flight and coalesces later changes of that parent into one
 * pending job, sent when the one in flight has converged (two jobs for one parent running at once
 * could finish out of order and leave the older payload behind).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { countWrites, diffCounts, readRequestTotals, snapshotOwn, type RequestCounts } from "./apiserver-metrics.js";
import {
  arrivalSchedule,
  capacityOf,
  changePayload,
  convergedFor,
  DEFAULT_SEARCH,
  latencyStats,
  nextRate,
  roundRate,
  type LatencyStats,
  type SearchOptions,
} from "./churn-plan.js";
import { churnSvg } from "./churn-report.js";
import { KubeHttp, PATCH_TYPES } from "./kube-http.js";
import { ConvergenceObserver } from "./observer.js";
import { PeerProcess, readProcUsage, type PeerCommand } from "./peer-process.js";
import { repoRoot, type PeerDefinition } from "./peers.js";
import { createNamespace, deleteNamespace, forEachLimited, stripFinalizers, waitQuiet, type RunContext } from "./phases.js";
import { PARENT_API_VERSION, PARENT_PLURAL, parentName, parentObject, payloadFor } from "./workload.js";

/** Options of W5 (`--w5-*` on the command line). */
export interface ChurnOptions {
  /** Arrival window per rate, ms. */
  durationMs: number;
  /** After the window, how long changes may still converge before they count as never converged. */
  drainMs: number;
  /** Seed of the arrival schedules (the step's index is added, so each rate gets its own). */
  seed: number;
  /** Fixed rates instead of a search (`--w5-rates 10,20,40`). */
  rates?: number[];
  search: SearchOptions;
  /** Cap on the whole search (all peers), ms: no new round starts after it. */
  maxSearchMs: number;
  /** Run each peer once at half its capacity after the search. */
  halfCapacity: boolean;
  /** Start the Node peers with `--cpu-prof` (profiles in bench/results/tmp/w5-prof). */
  cpuProf: boolean;
}

/** Defaults of {@link ChurnOptions}. */
export const DEFAULT_CHURN: ChurnOptions = {
  durationMs: 30_000,
  drainMs: 15_000,
  seed: 15,
  search: DEFAULT_SEARCH,
  maxSearchMs: 20 * 60_000,
  halfCapacity: true,
  cpuProf: false,
};

/**
 * Takes the `--w5` options out of an argument list (so bench/run.ts only dispatches):
 * `--w5`, `--w5-rates a,b`, `--w5-duration S`, `--w5-drain S`, `--w5-start R`, `--w5-max-steps N`,
 * `--w5-max-minutes M`, `--w5-seed N`, `--w5-no-half`, `--w5-cpu-prof`. `w5` is undefined without `--w5`.
 */
export function takeW5Args(argv: string[]): { w5?: ChurnOptions; rest: string[] } {
  const o: ChurnOptions = { ...DEFAULT_CHURN, search: { ...DEFAULT_SEARCH } };
  const rest: string[] = [];
  let on = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => Number(argv[++i]);
    if (a === "--w5") on = true;
    else if (a === "--w5-rates") o.rates = (argv[++i] ?? "").split(",").filter(Boolean).map(Number);
    else if (a === "--w5-duration") o.durationMs = value() * 1000;
    else if (a === "--w5-drain") o.drainMs = value() * 1000;
    else if (a === "--w5-start") o.search.startRate = value();
    else if (a === "--w5-max-steps") o.search.maxSteps = value();
    else if (a === "--w5-max-minutes") o.maxSearchMs = value() * 60_000;
    else if (a === "--w5-seed") o.seed = value();
    else if (a === "--w5-no-half") o.halfCapacity = false;
    else if (a === "--w5-cpu-prof") o.cpuProf = true;
    else {
      rest.push(a);
      continue;
    }
    on = true;
  }
  return { w5: on ? o : undefined, rest };
}

/** CPU time (ms) each process spent during a step. */
export interface StepCpu {
  peer: number;
  apiServer: number;
  etcd: number;
  controllerManager?: number;
  /** The harness (this process): driver, watches, bookkeeping. */
  harness: number;
  /** Share of the whole machine's CPU that was busy (all processes, other jobs included), 0..1. */
  machineBusy?: number;
}

/** Figures of one peer at one rate. */
export interface ChurnStep {
  peer: string;
  /** `search` (step of the capacity search), `fixed` (`--w5-rates`), or `half` (half the capacity). */
  kind: "search" | "fixed" | "half";
  /** Planned rate, changes per second. */
  rate: number;
  /** Changes planned (and sent) in the window. */
  changes: number;
  /** Changes sent per second of the window as it really ran. */
  achievedRate: number;
  /** Latency from the harness's patch returning to converged, ms (null in JSON = never converged). */
  latency: LatencyStats;
  /** Latency from the planned arrival to converged, ms. */
  fromArrival: LatencyStats;
  /** The harness's patch round trips, ms. */
  patch: LatencyStats;
  /** The driver's own lateness: actual send minus planned arrival, ms (a saturated harness shows here). */
  lateness: LatencyStats;
  /** The harness's event-loop delay over the window and drain, ms (p99 and max). */
  loopDelayMs: { p99: number; max: number };
  /** Patches that failed (counted as never converged). */
  patchErrors: number;
  /** Raw bound only: changes coalesced into a pending job behind one in flight for the same parent. */
  coalesced?: number;
  /** From the window's end until every change converged, 0 if all had by then (undefined if some never did within the drain). */
  drainedMs?: number;
  /**
   * When some changes had not converged by the drain's end: how many of them the API server itself
   * (read with GETs at that moment) already showed converged (the harness's watches lagged) and
   * how many it did not (the operator had not written them).
   */
  serverCheck?: { convergedOnServer: number; notOnServer: number };
  /** Writes on the workload's resources during the step, the harness's own subtracted. */
  writes: number;
  requests: RequestCounts;
  cpuMs: StepCpu;
  /** Window + drain, ms. */
  wallMs: number;
  loadavg: { before: number[]; after: number[] };
  seed: number;
}

/** What W5 publishes (bench/results/w5.json). */
export interface ChurnResult {
  date: string;
  parents: number;
  options: ChurnOptions;
  /** Highest rate per peer whose p99 (from the patch returning) met the bound. */
  capacity: Record<string, number>;
  /** Peers whose search stopped at the time cap before it was done. */
  capped: string[];
  steps: ChurnStep[];
  /** Peer CPU during the setup of P parents (W1), ms; for reference. */
  setup: Array<{ peer: string; ms: number; error?: string }>;
  loadavg: { before: number[]; after: number[] };
  error?: string;
}

/** One change in flight. */
interface Change {
  parent: string;
  seq: number;
  plannedAt: number;
  sentAt: number;
  returnedAt?: number;
  generation?: number;
  convergedAt?: number;
  failed?: boolean;
}

/** A peer set up for churn: its namespace, watches and process. */
interface ChurnPeer {
  def: PeerDefinition;
  ns: string;
  parentsPath: string;
  observer: ConvergenceObserver;
  proc: PeerProcess;
  uids: Map<string, string>;
  /** Last change number per parent. */
  seqs: Map<string, number>;
  steps: ChurnStep[];
  done: boolean;
}

/** Tracks which changes have converged, from the observer's events. */
class ChangeTracker {
  private readonly pending = new Map<string, Change[]>();
  /** Per parent, the generation each change's patch produced (the API server's order of the changes). */
  private readonly generations = new Map<string, Map<number, number>>();
  private waiter: (() => void) | undefined;
  outstanding = 0;

  constructor(
    private readonly observer: ConvergenceObserver,
    private readonly onConverged: (change: Change) => void,
  ) {}

  add(change: Change): void {
    const generations = this.generations.get(change.parent) ?? new Map<number, number>();
    generations.set(change.seq, change.generation!);
    this.generations.set(change.parent, generations);
    const list = this.pending.get(change.parent) ?? [];
    list.push(change);
    this.pending.set(change.parent, list);
    this.outstanding++;
    this.check(change.parent);
  }

  check(parent: string): void {
    const list = this.pending.get(parent);
    if (!list) return;
    const view = this.observer.view(parent);
    const now = performance.now();
    const generationOf = this.generationOf(parent);
    const left = list.filter((c) => {
      if (!convergedFor(view, { seq: c.seq, generation: c.generation!, generationOf })) return true;
      c.convergedAt = now;
      this.outstanding--;
      this.onConverged(c);
      return false;
    });
    if (left.length) this.pending.set(parent, left);
    else this.pending.delete(parent);
    if (this.outstanding === 0) this.waiter?.();
  }

  /** Looks up the generation a change of `parent` produced (for convergedFor's order). */
  generationOf(parent: string): (seq: number) => number | undefined {
    const generations = this.generations.get(parent);
    return (seq) => generations?.get(seq);
  }

  /** Resolves true when nothing is outstanding, false at `deadline` (performance.now() time). */
  async waitAll(deadline: number): Promise<boolean> {
    while (this.outstanding > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return true;
  }

  /** The changes not converged yet. */
  unconverged(): Change[] {
    return [...this.pending.values()].flat();
  }

  clear(): void {
    this.pending.clear();
    this.outstanding = 0;
  }
}

/** The raw bound's feed: at most one job per parent in flight, later changes coalesced (see the module comment). */
class RawFeeder {
  private readonly inFlight = new Map<string, number>();
  private readonly waiting = new Map<string, Change>();
  coalesced = 0;

  constructor(
    private readonly proc: PeerProcess,
    private readonly uids: Map<string, string>,
  ) {}

  offer(change: Change): void {
    if (this.inFlight.has(change.parent)) {
      if (this.waiting.has(change.parent)) this.coalesced++;
      this.waiting.set(change.parent, change);
    } else this.send(change);
  }

  converged(change: Change): void {
    const current = this.inFlight.get(change.parent);
    if (current === undefined || change.seq < current) return;
    this.inFlight.delete(change.parent);
    const next = this.waiting.get(change.parent);
    if (next) {
      this.waiting.delete(change.parent);
      // Converged meanwhile (a later change superseded it): nothing to send.
      if (next.convergedAt === undefined) this.send(next);
    }
  }

  private send(c: Change): void {
    this.inFlight.set(c.parent, c.seq);
    const payload = changePayload(c.parent, c.seq);
    this.proc.send(JSON.stringify({ op: "w3", name: c.parent, uid: this.uids.get(c.parent), generation: c.generation, payload }));
  }
}

/** Reads the machine's total and idle CPU ticks (/proc/stat). */
async function machineTicks(): Promise<{ total: number; idle: number } | undefined> {
  try {
    const first = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { total: first.slice(0, 8).reduce((a, b) => a + b, 0), idle: first[3]! + first[4]! };
  } catch {
    return undefined;
  }
}

/** Control-plane process ids W5 reads CPU time of. */
export interface ControlPlanePids {
  apiServer: number;
  etcd: number;
  controllerManager?: number;
}

/**
 * Runs W5 for the given peers and, unless `write` is false, writes bench/results/w5.json and
 * bench/results/w5.svg. Never throws for a peer's failure (it lands in the result).
 */
export async function runChurnCapacity(
  ctx: RunContext,
  pids: ControlPlanePids,
  peers: Array<{ def: PeerDefinition; cmd: PeerCommand }>,
  opts: ChurnOptions,
  write: boolean,
): Promise<ChurnResult> {
  const { http, log, parents: P } = ctx;
  const result: ChurnResult = {
    date: new Date().toISOString(),
    parents: P,
    options: opts,
    capacity: {},
    capped: [],
    steps: [],
    setup: [],
    loadavg: { before: loadavg(), after: [] },
  };
  // The driver's patches get their own connection pool, wide enough that an overloaded API server
  // queues them on the server (where it shows in `patch`), not in the harness.
  const driverHttp = new KubeHttp(http.endpoint, 256);
  const ready: ChurnPeer[] = [];
  const profDir = join(ctx.logDir, "w5-prof");
  try {
    for (const { def, cmd } of peers) {
      const peer = await setUpPeer(ctx, def, opts.cpuProf ? withCpuProf(cmd, profDir) : cmd, result);
      if (peer) ready.push(peer);
    }
    const began = performance.now();
    let stepIndex = 0;
    for (let round = 0; ready.some((p) => !p.done); round++) {
      if (performance.now() - began > opts.maxSearchMs) {
        for (const p of ready.filter((x) => !x.done)) result.capped.push(p.def.name);
        log(`  W5: search time cap (${opts.maxSearchMs / 60_000} min) reached; capped: ${result.capped.join(", ")}`);
        break;
      }
      const order = round % 2 === 0 ? ready : [...ready].reverse();
      for (const peer of order) {
        if (peer.done) continue;
        const steps = peer.steps.map((s) => ({ rate: s.rate, p99Ms: s.latency.p99 }));
        const rate = opts.rates ? opts.rates[round] : nextRate(steps, opts.search);
        if (rate === undefined) {
          peer.done = true;
          continue;
        }
        const step = await runStep(ctx, driverHttp, pids, peer, rate, opts.rates ? "fixed" : "search", opts, opts.seed + stepIndex++);
        peer.steps.push(step);
        result.steps.push(step);
      }
    }
    for (const p of ready) result.capacity[p.def.name] = capacityOf(peer2steps(p), opts.search.sloMs);
    if (opts.halfCapacity && !opts.rates) {
      for (const [i, peer] of [...ready].reverse().entries()) {
        const half = roundRate(result.capacity[peer.def.name]! / 2);
        if (!(half > 0)) continue;
        const step = await runStep(ctx, driverHttp, pids, peer, half, "half", opts, opts.seed + 1000 + i);
        peer.steps.push(step);
        result.steps.push(step);
      }
    }
  } catch (err) {
    result.error = (err as Error).message;
    log(`  W5 FAILED: ${result.error}`);
  } finally {
    // No namespace deletion: W5 is the last workload on its control plane (alone with --w5, after W1-W4
    // in the full run, which meet it with their etcd history), and it is stopped right after
    // (deleting 3 x 4P objects took minutes on the shared machine).
    for (const p of ready) await stopPeer(p);
    await driverHttp.close();
  }
  result.loadavg.after = loadavg();
  for (const [name, cap] of Object.entries(result.capacity)) log(`W5 capacity ${name}: ${cap} changes/s at p99 <= ${opts.search.sloMs} ms`);
  if (write) {
    const dir = join(repoRoot(), "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "w5.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(dir, "w5.svg"), churnSvg(result));
    log(`wrote ${join(dir, "w5.json")} and w5.svg`);
  }
  return result;
}

function peer2steps(p: ChurnPeer) {
  return p.steps.filter((s) => s.kind !== "half").map((s) => ({ rate: s.rate, p99Ms: s.latency.p99 }));
}

/** Adds `--cpu-prof` to a Node peer's command (Go peers are left alone). */
function withCpuProf(cmd: PeerCommand, dir: string): PeerCommand {
  if (cmd.command !== process.execPath) return cmd;
  mkdirSync(dir, { recursive: true });
  return { ...cmd, args: ["--cpu-prof", `--cpu-prof-dir=${dir}`, ...cmd.args] };
}

/** A namespace, the watches, the peer, and P parents converged (W1); undefined if that failed. */
async function setUpPeer(ctx: RunContext, def: PeerDefinition, cmd: PeerCommand, result: ChurnResult): Promise<ChurnPeer | undefined> {
  const { http, log, parents: P } = ctx;
  const ns = `w5-${def.name}`.replace(/[^a-z0-9-]/g, "-");
  const parentsPath = `/apis/${PARENT_API_VERSION}/namespaces/${ns}/${PARENT_PLURAL}`;
  await createNamespace(http, ns);
  const observer = new ConvergenceObserver(http, ns);
  await observer.start();
  const proc = PeerProcess.start(def.name, cmd, ctx.kubeconfigPath, ns, join(ctx.logDir, `${ns}.log`));
  const peer: ChurnPeer = { def, ns, parentsPath, observer, proc, uids: new Map(), seqs: new Map(), steps: [], done: false };
  const began = performance.now();
  try {
    await proc.waitReady(60_000);
    await sleep(Number(process.env.BENCH_SETTLE_MS ?? 3000));
    log(`  W5 ${def.name}: creating ${P} parents`);
    observer.beginPhase("converge", P);
    const names = Array.from({ length: P }, (_, i) => parentName(i));
    await forEachLimited(names, ctx.harnessConcurrency, async (name) => {
      const created = (await http.send<any>("POST", parentsPath, { body: parentObject(ns, name) }))!;
      peer.uids.set(name, created.metadata.uid);
      observer.expect(name, { payload: payloadFor(name, 1), generation: created.metadata.generation });
      if (def.kind === "raw") {
        const m = created.metadata;
        proc.send(JSON.stringify({ op: "w1", name, uid: m.uid, generation: m.generation, payload: created.spec.payload }));
      }
    });
    await observer.waitConverged(P, 60_000 + P * 200);
    await waitQuiet(proc, 30_000);
    // From here on the change tracker decides convergence; the observer keeps only the watches.
    for (const name of names) observer.forget(name);
    const ms = Math.round(performance.now() - began);
    result.setup.push({ peer: def.name, ms });
    log(`  W5 ${def.name}: ${P} parents converged (${ms} ms from start)`);
    return peer;
  } catch (err) {
    result.setup.push({ peer: def.name, ms: Math.round(performance.now() - began), error: (err as Error).message });
    log(`  W5 ${def.name}: setup FAILED: ${(err as Error).message}`);
    await stopPeer(peer);
    await stripFinalizers(http, parentsPath);
    await deleteNamespace(http, ns, log);
    return undefined;
  }
}

async function stopPeer(peer: ChurnPeer): Promise<void> {
  await peer.proc.stop();
  peer.observer.stop();
}

/** One peer at one rate: the open-loop window, the drain, and the figures. */
async function runStep(
  ctx: RunContext,
  driverHttp: KubeHttp,
  pids: ControlPlanePids,
  peer: ChurnPeer,
  rate: number,
  kind: ChurnStep["kind"],
  opts: ChurnOptions,
  seed: number,
): Promise<ChurnStep> {
  const { http, log, parents: P } = ctx;
  const schedule = arrivalSchedule(rate, opts.durationMs, P, seed);
  const changes: Change[] = [];
  const raw = peer.def.kind === "raw" ? new RawFeeder(peer.proc, peer.uids) : undefined;
  const tracker = new ChangeTracker(peer.observer, (c) => raw?.converged(c));
  const unsubscribe = peer.observer.onParentEvent((name) => tracker.check(name));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const load0 = loadavg();
  const readCpu = async () => ({
    peer: (await peer.proc.usage()).cpuMs,
    apiServer: (await readProcUsage(pids.apiServer)).cpuMs,
    etcd: pids.etcd ? (await readProcUsage(pids.etcd)).cpuMs : 0,
    controllerManager: pids.controllerManager ? (await readProcUsage(pids.controllerManager).catch(() => undefined))?.cpuMs : undefined,
    harness: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    ticks: await machineTicks(),
  });
  const own = () => snapshotOwn(new Map([...mergeCounts(http.counts, driverHttp.counts)]));
  const [m0, own0, cpu0] = [await readRequestTotals(http), own(), await readCpu()];
  log(`  W5 ${peer.def.name}: ${kind} rate ${rate}/s for ${opts.durationMs / 1000} s (${schedule.length} changes)`);
  loop.enable();
  const patches: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (const arrival of schedule) {
    const plannedAt = t0 + arrival.atMs;
    const wait = plannedAt - performance.now();
    if (wait >= 1) await sleep(wait);
    const name = parentName(arrival.parentIndex);
    const seq = (peer.seqs.get(name) ?? 0) + 1;
    peer.seqs.set(name, seq);
    const change: Change = { parent: name, seq, plannedAt, sentAt: performance.now() };
    changes.push(change);
    patches.push(
      driverHttp
        .send<any>("PATCH", `${peer.parentsPath}/${name}`, {
          body: { spec: { payload: changePayload(name, seq) } },
          contentType: PATCH_TYPES.merge,
        })
        .then(
          (patched) => {
            change.returnedAt = performance.now();
            change.generation = patched!.metadata.generation;
            tracker.add(change);
            raw?.offer(change);
          },
          (err) => {
            change.returnedAt = performance.now();
            change.failed = true;
            log(`  W5 ${peer.def.name}: patch ${name} failed: ${(err as Error).message.slice(0, 200)}`);
          },
        ),
    );
  }
  const windowEnd = Math.max(t0 + opts.durationMs, performance.now());
  await Promise.all(patches);
  const allIn = await tracker.waitAll(windowEnd + opts.drainMs);
  const drainedMs = allIn ? Math.max(0, Math.round(performance.now() - windowEnd)) : undefined;
  loop.disable();
  const endedAt = performance.now();
  // Changes the watches still show unconverged: read them from the API server, to tell an
  // operator that has not written them from a watch (the harness's) that has not delivered them.
  const serverCheck = allIn ? undefined : await checkOnServer(http, peer, tracker, log);
  // Let a backlog finish before the next step (not measured: the next step must start clean).
  if (!allIn) {
    log(
      `  W5 ${peer.def.name}: ${tracker.outstanding} changes not converged ${opts.drainMs / 1000} s after the window; waiting for the backlog`,
    );
    await tracker.waitAll(performance.now() + 120_000);
  }
  unsubscribe();
  tracker.clear();
  await waitQuiet(peer.proc, 10_000);
  const [m1, own1, cpu1] = [await readRequestTotals(http), own(), await readCpu()];
  const requests = diffCounts(m0, m1, diffCounts(own0, own1));
  const fromReturn = changes.map((c) =>
    c.convergedAt !== undefined && c.convergedAt <= endedAt ? c.convergedAt - c.returnedAt! : Infinity,
  );
  const fromArrival = changes.map((c) =>
    c.convergedAt !== undefined && c.convergedAt <= endedAt ? c.convergedAt - c.plannedAt : Infinity,
  );
  const ticks =
    cpu0.ticks && cpu1.ticks ? { total: cpu1.ticks.total - cpu0.ticks.total, idle: cpu1.ticks.idle - cpu0.ticks.idle } : undefined;
  const lastSent = changes.at(-1)?.sentAt ?? t0;
  const step: ChurnStep = {
    peer: peer.def.name,
    kind,
    rate,
    changes: changes.length,
    achievedRate: Number((changes.length / (Math.max(opts.durationMs, lastSent - t0) / 1000)).toFixed(2)),
    latency: rounded(latencyStats(fromReturn.map((v) => Math.max(0, v)))),
    fromArrival: rounded(latencyStats(fromArrival)),
    patch: rounded(latencyStats(changes.map((c) => c.returnedAt! - c.sentAt))),
    lateness: rounded(latencyStats(changes.map((c) => c.sentAt - c.plannedAt))),
    loopDelayMs: { p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) },
    patchErrors: changes.filter((c) => c.failed).length,
    coalesced: raw?.coalesced,
    drainedMs,
    serverCheck,
    writes: countWrites(requests),
    requests,
    cpuMs: {
      peer: Math.round(cpu1.peer - cpu0.peer),
      apiServer: Math.round(cpu1.apiServer - cpu0.apiServer),
      etcd: Math.round(cpu1.etcd - cpu0.etcd),
      controllerManager:
        cpu1.controllerManager !== undefined && cpu0.controllerManager !== undefined
          ? Math.round(cpu1.controllerManager - cpu0.controllerManager)
          : undefined,
      harness: Math.round(cpu1.harness - cpu0.harness),
      machineBusy: ticks && ticks.total > 0 ? Number((1 - ticks.idle / ticks.total).toFixed(3)) : undefined,
    },
    wallMs: Math.round(endedAt - t0),
    loadavg: { before: load0, after: loadavg() },
    seed,
  };
  const s = step.latency;
  log(
    `  W5 ${peer.def.name} @${rate}/s: p50 ${s.p50} p90 ${s.p90} p99 ${s.p99} max ${s.max} ms, ${s.unconverged}/${s.count} unconverged; ` +
      `lateness p99 ${step.lateness.p99} ms, patch p99 ${step.patch.p99} ms; CPU peer ${step.cpuMs.peer} apiserver ${step.cpuMs.apiServer} ` +
      `etcd ${step.cpuMs.etcd} harness ${step.cpuMs.harness} ms over ${step.wallMs} ms; load ${load0[0]!.toFixed(1)}`,
  );
  return step;
}

/** GETs the parent and children of each unconverged change and counts which the server shows converged. */
async function checkOnServer(
  http: KubeHttp,
  peer: ChurnPeer,
  tracker: ChangeTracker,
  log: (line: string) => void,
): Promise<ChurnStep["serverCheck"]> {
  const changes = tracker.unconverged();
  const core = `/api/v1/namespaces/${peer.ns}`;
  const out = { convergedOnServer: 0, notOnServer: 0 };
  await forEachLimited(changes, 8, async (c) => {
    try {
      const get = (path: string) => http.send<any>("GET", path, { allow404: true });
      const [parent, configMapA, configMapB, service] = await Promise.all([
        get(`${peer.parentsPath}/${c.parent}`),
        get(`${core}/configmaps/${c.parent}-a`),
        get(`${core}/configmaps/${c.parent}-b`),
        get(`${core}/services/${c.parent}`),
      ]);
      const key = { seq: c.seq, generation: c.generation!, generationOf: tracker.generationOf(c.parent) };
      if (convergedFor({ parent, configMapA, configMapB, service }, key)) out.convergedOnServer++;
      else out.notOnServer++;
    } catch {
      out.notOnServer++;
    }
  });
  log(`  W5 ${peer.def.name}: of the unconverged changes, the API server shows ${out.convergedOnServer} converged, ${out.notOnServer} not`);
  return out;
}

function mergeCounts(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

function rounded(s: LatencyStats): LatencyStats {
  const r = (x: number) => (Number.isFinite(x) ? Math.round(x) : x);
  return { ...s, p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), max: r(s.max), mean: s.mean === undefined ? undefined : r(s.mean) };
}
