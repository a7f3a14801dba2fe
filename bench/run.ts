/**
 * `npm run bench [-- --quick] [--parents N] [--reps N] [--peers a,b] [--concurrency N] [--w1b | --w5 | --scale] [--skip-w1b] [--skip-w5]`
 *
 * Without a mode, every workload (bench/README.md): first W1b (restart over a backlog, lib/backlog.ts),
 * each run on a control plane of its own, then W1..W4 for every peer in fresh namespaces of one local
 * control plane (repetitions alternating the order), then W5 (churn capacity, lib/churn.ts) on that
 * plane. Writes
 * bench/results/latest.json (W1..W4, with the W1b medians and W5 capacities), w1b.json, w5.json,
 * w1.svg, w5.svg and the table in bench/README.md. `--skip-w1b` / `--skip-w5` leave those out.
 *
 * `--w1b` runs only W1b and writes bench/results/w1b.json.
 * `--w5 [--w5-rates a,b ...]` runs only W5 and writes bench/results/w5.json and w5.svg.
 * `--scale [1000,10000]` runs W1b, W2 and memory at each size (lib/scale.ts) and writes bench/results/scale.json.
 * Progress goes to stderr.
 */
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { runPeer, type PeerRunResult, type RunContext } from "./lib/phases.js";
import { runBacklog, type BacklogResult } from "./lib/backlog.js";
import { runScaleBench } from "./lib/scale.js";
import { parseScaleSizes } from "./lib/scale-report.js";
import { allPeers, DEFAULT_PEERS, repoRoot, type PeerDefinition } from "./lib/peers.js";
import { startBenchCluster, type BenchCluster } from "./lib/bench-cluster.js";
import { headlessServices } from "./lib/workload.js";
import { apiServerProfileDir } from "./lib/apiserver-profile.js";
import { DEFAULT_CHURN, runChurnCapacity, takeW5Args, type ChurnOptions, type ChurnResult } from "./lib/churn.js";
import type { PeerCommand } from "./lib/peer-process.js";
import {
  convergenceSvg,
  markdownTable,
  median,
  ratios,
  ratioTable,
  replaceBetweenMarkers,
  summarize,
  type PeerSummary,
} from "./lib/report.js";

interface Options {
  parents: number;
  reps: number;
  peers: string[];
  concurrency: number;
  quick: boolean;
  /** Write README/SVG/latest.json (off with --no-write, for trying things out). */
  write: boolean;
  /** Only re-render the README table from bench/results/latest.json (--report). */
  reportOnly: boolean;
  /** Run only W1b, restart over a backlog (--w1b); writes bench/results/w1b.json. */
  w1b: boolean;
  /** Leave W1b / W5 out of the full run (--skip-w1b, --skip-w5). */
  skipW1b: boolean;
  skipW5: boolean;
  /** Sizes of the scale run (--scale [1000,10000]; lib/scale.ts), undefined when not asked for. */
  scale?: number[];
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    parents: 1000,
    reps: 3,
    peers: DEFAULT_PEERS,
    concurrency: 16,
    quick: false,
    write: true,
    reportOnly: false,
    w1b: false,
    skipW1b: false,
    skipW5: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? "";
    if (a === "--quick") Object.assign(o, { quick: true, parents: 100, reps: 1 });
    else if (a === "--parents") o.parents = Number(next());
    else if (a === "--reps") o.reps = Number(next());
    else if (a === "--peers") o.peers = next().split(",").filter(Boolean);
    else if (a === "--concurrency") o.concurrency = Number(next());
    else if (a === "--no-write") o.write = false;
    else if (a === "--report") o.reportOnly = true;
    else if (a === "--w1b") o.w1b = true;
    else if (a === "--skip-w1b") o.skipW1b = true;
    else if (a === "--skip-w5") o.skipW5 = true;
    else if (a === "--scale") o.scale = parseScaleSizes(argv[i + 1]?.startsWith("--") ? undefined : argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  if ((o.skipW1b || o.skipW5) && (o.w1b || o.scale))
    throw new Error("--skip-w1b / --skip-w5 apply to the full run, not to --w1b or --scale");
  return o;
}

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function commandVersion(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** The subset of latest.json the README table is rendered from. */
interface ResultsForReadme {
  date: string;
  config: Options;
  machine: { cpus: number; cpuModel?: string };
  versions: { kubernetes: string; node: string; go?: string };
  medians: PeerSummary[];
}

/** Renders the results table (and tsoperator's ratios to the targets) into bench/README.md. */
function writeReadmeTable(result: ResultsForReadme): void {
  const { config: opts, machine, versions } = result;
  const header =
    `Last run: ${result.date.slice(0, 16)} UTC, P=${opts.parents}, ${opts.reps} repetition(s), concurrency ${opts.concurrency}, ` +
    `${machine.cpus} CPUs (${machine.cpuModel}), Kubernetes ${versions.kubernetes}, Node ${versions.node}, ${versions.go}. Medians.`;
  const targets = ratioTable(result.medians, "tsoperator", ["controller-runtime", "raw-client-go", "raw-node"]);
  const goals =
    "Targets (issue 5): W1/W3/W4 <= 0.85x controller-runtime and <= 1.15x raw-client-go; W2 0 writes in <= 0.5x controller-runtime's time; RSS per object <= 1.5x controller-runtime.";
  const table = markdownTable(result.medians, header) + (targets ? `\n\n${goals}\n\n${targets}` : "");
  const readmePath = join(repoRoot(), "bench", "README.md");
  writeFileSync(readmePath, replaceBetweenMarkers(readFileSync(readmePath, "utf8"), table));
}

async function main(): Promise<void> {
  const { w5, rest: argv } = takeW5Args(process.argv.slice(2));
  const opts = parseOptions(argv);
  if (w5 && (opts.skipW1b || opts.skipW5)) throw new Error("--skip-w1b / --skip-w5 apply to the full run, not to --w5");
  const root = repoRoot();
  if (opts.reportOnly) {
    writeReadmeTable(JSON.parse(readFileSync(join(root, "bench", "results", "latest.json"), "utf8")) as ResultsForReadme);
    log("re-rendered the table in bench/README.md from bench/results/latest.json");
    return;
  }
  const known = allPeers(opts.concurrency);
  const peers = opts.peers.map((name) => {
    const p = known.find((k) => k.name === name);
    if (!p) throw new Error(`unknown peer ${name} (known: ${known.map((k) => k.name).join(", ")})`);
    return p;
  });
  log(`P=${opts.parents} reps=${opts.reps} concurrency=${opts.concurrency} peers=${opts.peers.join(",")}`);

  // The headless-Services variant answers the scale question only; elsewhere it would replace the
  // workload's published figures (latest.json, w1b.json, w5.json) with a different workload's.
  if (headlessServices() && !opts.scale)
    throw new Error("BENCH_HEADLESS_SERVICES=1 is for --scale only (its results go to scale-headless.json)");
  const commands = new Map<string, PeerCommand>();
  for (const p of peers) commands.set(p.name, await p.prepare(log));
  if (opts.scale) return void (await runScaleBench({ sizes: opts.scale, peers, commands, write: opts.write, root, log }));

  // Repetitions alternate the peers' order, so a machine that gets busier or calmer favours none.
  const orderOf = (rep: number) => (rep % 2 === 0 ? peers : [...peers].reverse());
  // W1b first, each run on a control plane of its own; then one shared plane for W1..W4 and W5.
  const backlogRuns: BacklogResult[] = [];
  if (opts.w1b || (!w5 && !opts.skipW1b)) {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const peer of orderOf(rep)) {
        log(`W1b rep ${rep + 1}/${opts.reps}: ${peer.name}`);
        backlogRuns.push(await backlogOnOwnCluster(opts, peer, commands.get(peer.name)!, rep));
      }
    }
  }
  if (opts.w1b) {
    reportBacklog(opts, backlogRuns, root);
    return;
  }

  const cluster = await startBenchCluster(root, log);
  const { cp, stop } = cluster;
  const runs: PeerRunResult[] = [];
  // No mode asked for: every workload (W1b above, then W1..W4, then W5 against this control plane).
  const full = !w5;
  let churn: ChurnResult | undefined;
  try {
    const ctx = contextOf(cluster, opts);
    if (w5)
      await runChurnCapacity(
        ctx,
        cp.pids,
        peers.map((def) => ({ def, cmd: commands.get(def.name)! })),
        w5,
        opts.write,
      );
    for (let rep = 0; rep < (w5 ? 0 : opts.reps); rep++) {
      for (const [position, peer] of orderOf(rep).entries()) {
        log(`rep ${rep + 1}/${opts.reps}: ${peer.name}`);
        runs.push(await runPeer(ctx, peer, commands.get(peer.name)!, rep, position));
      }
    }
    // Last: W5 leaves its namespaces behind (the control plane stops right after).
    if (full && !opts.skipW5) {
      const pairs = peers.map((def) => ({ def, cmd: commands.get(def.name)! }));
      churn = await runChurnCapacity(ctx, cp.pids, pairs, fullRunChurn(opts.quick), opts.write);
    }
  } finally {
    await stop();
  }
  if (w5) return;

  const backlogMedians = backlogRuns.length > 0 ? reportBacklog(opts, backlogRuns, root) : undefined;
  const summaries = summarize(runs, opts.parents);
  for (const s of summaries)
    log(`median ${s.peer}: W1 ${s.w1Ms} ms, W2 ${s.w2Ms ?? "-"} ms, W3 ${s.w3Ms} ms, W4 ${s.w4Ms} ms, peak RSS ${s.peakRssMb} MB`);
  if (!opts.write) return;

  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), kernel: release() };
  const versions = {
    kubernetes: cp.version.kubernetes,
    etcd: cp.version.etcd,
    node: process.version,
    go: commandVersion("go", ["env", "GOVERSION"]),
    controllerRuntime: "v0.25.2",
    clientGo: "v0.37.2",
  };
  const result = {
    date: new Date().toISOString(),
    machine,
    versions,
    config: opts,
    ...profiling(),
    medians: summaries,
    ratiosToControllerRuntime: ratios(summaries, "controller-runtime"),
    ratiosToRawClientGo: ratios(summaries, "raw-client-go"),
    runs: runs.map((r) => ({ ...r, w1: r.w1 && { ...r.w1, timeline: undefined } })),
    // The full run's other workloads, in brief (their files: w1b.json, w5.json).
    ...(backlogMedians ? { w1b: backlogMedians } : {}),
    ...(churn ? { w5: { capacity: churn.capacity, parents: churn.parents, ...(churn.error ? { error: churn.error } : {}) } } : {}),
  };
  const resultsDir = join(root, "bench", "results");
  writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(result, null, 2) + "\n");

  // Chart: per peer, the W1 timeline of the run whose W1 time is closest to the median.
  const series = summaries.flatMap((s) => {
    const ok = runs.filter((r) => r.peer === s.peer && r.w1?.timeline);
    const mid = median(ok.map((r) => r.w1!.ms));
    const pick = ok.sort((a, b) => Math.abs(a.w1!.ms - mid!) - Math.abs(b.w1!.ms - mid!))[0];
    return pick ? [{ peer: s.peer, timeline: pick.w1!.timeline! }] : [];
  });
  writeFileSync(join(resultsDir, "w1.svg"), convergenceSvg(series, opts.parents, `W1: ${opts.parents} parents converged over time`));

  writeReadmeTable(result);
  log(`wrote bench/results/latest.json, bench/results/w1.svg and the table in bench/README.md`);
}

/**
 * W1b on a control plane of its own (a start costs ~5 s, untimed). On a shared one each run met the
 * ones before it: in one `--w1b --reps 3` run the same peer's API server CPU per run rose with its
 * place in the order (tsoperator 21.1 s first, 27.3 s sixth; raw 22.2 → 25.9 s; controller-runtime
 * 42.2 → 46.9 s), so the order of the peers, not the peers, set part of the medians.
 */
async function backlogOnOwnCluster(opts: Options, peer: PeerDefinition, cmd: PeerCommand, rep: number): Promise<BacklogResult> {
  const own = await startBenchCluster(repoRoot(), log);
  try {
    return await runBacklog({ ...contextOf(own, opts), disposable: true }, peer, cmd, rep);
  } finally {
    await own.stop();
  }
}

/** Marks results taken with the API server profiled (lib/apiserver-profile.ts): not figures for the targets. */
function profiling(): { apiServerProfiling?: true } {
  return apiServerProfileDir() ? { apiServerProfiling: true } : {};
}

/** What a workload needs of a started cluster. */
function contextOf(cluster: BenchCluster, opts: Options): RunContext {
  return {
    http: cluster.http,
    kubeconfigPath: cluster.cp.kubeconfigPath,
    apiServerPid: cluster.cp.pids.apiServer,
    parents: opts.parents,
    harnessConcurrency: opts.concurrency,
    logDir: cluster.logDir,
    log,
  };
}

/** W5's options in the full run: the defaults, or a short search under `--quick`. */
function fullRunChurn(quick: boolean): ChurnOptions {
  const o: ChurnOptions = { ...DEFAULT_CHURN, search: { ...DEFAULT_CHURN.search } };
  if (quick) Object.assign(o, { durationMs: 10_000, drainMs: 10_000, search: { ...o.search, maxSteps: 3 } });
  return o;
}

/** Logs W1b's medians per peer and writes bench/results/w1b.json (unless --no-write); returns the medians. */
function reportBacklog(opts: Options, backlogRuns: BacklogResult[], root: string): Record<string, { ms?: number; writes?: number }> {
  const medians: Record<string, { ms?: number; writes?: number }> = {};
  for (const name of opts.peers) {
    const ok = backlogRuns.filter((r) => r.peer === name && r.ms !== undefined);
    const m = { ms: median(ok.map((r) => r.ms!)), writes: median(ok.map((r) => r.writes!)) };
    medians[name] = m;
    log(`W1b median ${name}: ${m.ms} ms, ${m.writes} writes`);
  }
  if (opts.write) {
    const file = join(root, "bench", "results", "w1b.json");
    writeFileSync(
      file,
      `${JSON.stringify({ date: new Date().toISOString(), config: opts, ...profiling(), loadavg: loadavg(), runs: backlogRuns }, null, 2)}\n`,
    );
    log(`wrote ${file}`);
  }
  return medians;
}

// Ctrl-C / SIGTERM: exit through process.exit so the exit hooks stop the peers and the control plane.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
