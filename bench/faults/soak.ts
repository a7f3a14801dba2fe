/**
 * `npm run soak [-- --minutes 20] [--parents 500] [--rate 4] [--sample 5] [--warmup 5] [--down 5] [--seed 1] [--no-write] [--report]`
 *
 * The bounded soak (issue 11): the tsoperator benchmark operator (a child process, user
 * "operator", audit log on) runs for `--minutes` against a local control plane holding
 * `--parents` parents, under a steady churn of `--rate` operations a second — spec changes, child
 * deletions, parent deletions and creations (the population stays near `--parents`) — with one
 * API server SIGKILL and restart (down `--down` s) midway. Every `--sample` s it samples the
 * operator's RSS (/proc), heap used and work-queue depth (its /metrics). At the end the churn
 * stops and everything must converge: no lost update, no parent stuck in deletion, no duplicate,
 * orphaned or missing child. Writes bench/results/soak.json, docs/img/soak.svg and the soak
 * section of docs/reliability.md (`--report` only re-renders those from soak.json). Progress goes to stderr.
 */
import "reflect-metadata";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LocalControlPlane } from "../../src/testing/index.js";
import { KubeHttp, PATCH_TYPES } from "../lib/kube-http.js";
import { readProcUsage } from "../lib/peer-process.js";
import { allPeers, repoRoot } from "../lib/peers.js";
import { forEachLimited } from "../lib/phases.js";
import { parentName, parentObject } from "../lib/workload.js";
import { CaseHarness, OPERATOR_USER, retrying, type SuiteContext } from "./harness.js";
import { installCrd } from "../lib/install-crd.js";
import { type SoakSample, soakStats, soakVerdict, sumMetric } from "./soak-stats.js";
import { type SoakMark, soakSvg } from "./soak-svg.js";
import { tallyChildren, tallyWrites } from "./tally.js";
import { seededRandom } from "../lib/churn-plan.js";

interface Options {
  minutes: number;
  parents: number;
  /** Churn operations per second. */
  rate: number;
  sampleSeconds: number;
  /** Minutes of warm-up left out of the memory verdict; default a quarter of the run. */
  warmupMinutes: number | undefined;
  downSeconds: number;
  seed: number;
  write: boolean;
  reportOnly: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    minutes: 20,
    parents: 500,
    rate: 4,
    sampleSeconds: 5,
    warmupMinutes: undefined,
    downSeconds: 5,
    seed: 1,
    write: true,
    reportOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => Number(argv[++i]);
    if (a === "--minutes") o.minutes = num();
    else if (a === "--parents") o.parents = num();
    else if (a === "--rate") o.rate = num();
    else if (a === "--sample") o.sampleSeconds = num();
    else if (a === "--warmup") o.warmupMinutes = num();
    else if (a === "--down") o.downSeconds = num();
    else if (a === "--seed") o.seed = num();
    else if (a === "--no-write") o.write = false;
    else if (a === "--report") o.reportOnly = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Reads the operator's /metrics; undefined when it does not answer. */
async function scrape(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

const MiB = 1024 * 1024;
const r1 = (x: number) => Math.round(x * 10) / 10;

/** The counts of the soak's churn. */
interface Churn {
  specChanges: number;
  childDeletions: number;
  parentDeletions: number;
  parentCreations: number;
  /** Operations that failed even after retrying (e.g. the API server was down for > 30 s). */
  failed: number;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const warmupSeconds = (opts.warmupMinutes ?? opts.minutes / 4) * 60;
  const root = repoRoot();
  const jsonPath = join(root, "bench", "results", "soak.json");
  if (opts.reportOnly) {
    const res = JSON.parse(readFileSync(jsonPath, "utf8")) as SoakResult;
    res.stats = statsOf(res.samples, res.options, res.restart.readyAt);
    res.verdict = soakVerdict(res.stats);
    writeFileSync(jsonPath, JSON.stringify(res, null, 2) + "\n");
    writeSoakDocs(root, res);
    log(`re-rendered from bench/results/soak.json: ${res.verdict}`);
    return;
  }
  const operator = await allPeers(16)
    .find((p) => p.name === "tsoperator")!
    .prepare(log);
  const port = await freePort();
  log(`${opts.minutes} min, ${opts.parents} parents, ${opts.rate} ops/s, sample every ${opts.sampleSeconds} s; load ${loadavg().map(r1)}`);
  const cp = await LocalControlPlane.start({ audit: { mode: "blocking" }, users: [{ name: OPERATOR_USER }] });
  const http = new KubeHttp({ server: cp.server, token: cp.adminToken, ca: cp.caCert });
  const logDir = join(root, "bench", "results", "tmp");
  mkdirSync(logDir, { recursive: true });
  const kubeconfigDirect = join(cp.tempDir, "operator.kubeconfig");
  writeFileSync(kubeconfigDirect, cp.kubeconfigText({ user: OPERATOR_USER }), { mode: 0o600 });
  const samples: SoakSample[] = [];
  const marks: SoakMark[] = [];
  const loads: number[] = [];
  const churn: Churn = { specChanges: 0, childDeletions: 0, parentDeletions: 0, parentCreations: 0, failed: 0 };
  const rand = seededRandom(opts.seed);
  let h: CaseHarness | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let result: Record<string, unknown> | undefined;
  try {
    await installCrd(cp, http);
    await cp.restartControllerManager();
    const ctx: SuiteContext = {
      cp,
      http,
      operator: { ...operator, env: { ...operator.env, BENCH_HEALTH_PORT: String(port), BENCH_LOG_STDERR: "1" } },
      kubeconfigDirect,
      kubeconfigViaProxy: kubeconfigDirect,
      parents: opts.parents,
      logDir,
      log,
    };
    h = await CaseHarness.open(ctx, "soak");
    const harness = h;
    const t0 = Date.now();
    const since = (ms: number) => (ms - t0) / 1000;
    const sample = async () => {
      const [usage, text] = await Promise.all([readProcUsage(harness.operatorProcess.pid).catch(() => undefined), scrape(port)]);
      if (!usage) return;
      const heap = text === undefined ? undefined : sumMetric(text, "nodejs_heap_size_used_bytes");
      const depth = text === undefined ? undefined : sumMetric(text, "workqueue_depth");
      samples.push({
        t: r1(since(Date.now())),
        rssMiB: r1(usage.rssBytes / MiB),
        heapMiB: heap === undefined ? null : r1(heap / MiB),
        queueDepth: depth ?? null,
        pending: harness.observer.notConverged().length,
      });
      loads.push(loadavg()[0]!);
    };
    sampler = setInterval(() => void sample(), opts.sampleSeconds * 1000);
    await sample();

    // The population: name -> spec version; deleted names must disappear.
    const live = new Map<string, number>();
    const deleted = new Set<string>();
    let nextIndex = 0;
    const payload = (name: string, version: number) => `${name}-v${version}`;
    const path = (name: string) => `${harness.parentsPath}/${name}`;
    const create = async (name: string) => {
      const body = parentObject(harness.namespace, name);
      (body.spec as { payload: string }).payload = payload(name, 1);
      const created = await retrying(() => http.send<any>("POST", harness.parentsPath, { body }));
      live.set(name, 1);
      harness.observer.expect(name, { payload: payload(name, 1), generation: created!.metadata.generation });
    };
    harness.observer.beginPhase("converge", opts.parents);
    await forEachLimited(
      Array.from({ length: opts.parents }, () => parentName(nextIndex++)),
      16,
      create,
    );
    await harness.waitConverged(opts.parents, 300_000);
    log(`${opts.parents} parents converged after ${r1(since(Date.now()))} s; churn begins`);
    marks.push({ t: since(Date.now()), label: "churn begins" });

    const pick = () => {
      const names = [...live.keys()];
      return names[Math.floor(rand() * names.length)]!;
    };
    const operation = async () => {
      const r = rand();
      if (r < 0.5) {
        const name = pick();
        const version = live.get(name)! + 1;
        const patched = await retrying(() =>
          http.send<any>("PATCH", path(name), { body: { spec: { payload: payload(name, version) } }, contentType: PATCH_TYPES.merge }),
        );
        live.set(name, version);
        harness.observer.expect(name, { payload: payload(name, version), generation: patched!.metadata.generation });
        churn.specChanges++;
      } else if (r < 0.75) {
        const name = pick();
        const child = [
          `/api/v1/namespaces/${harness.namespace}/configmaps/${name}-a`,
          `/api/v1/namespaces/${harness.namespace}/configmaps/${name}-b`,
        ][Math.floor(rand() * 2)]!;
        const target = rand() < 1 / 3 ? `/api/v1/namespaces/${harness.namespace}/services/${name}` : child;
        await retrying(() => http.send("DELETE", target, { allow404: true }));
        churn.childDeletions++;
      } else if (live.size >= opts.parents) {
        const name = pick();
        live.delete(name);
        deleted.add(name);
        harness.observer.forget(name);
        await retrying(() => http.send("DELETE", path(name), { allow404: true }));
        churn.parentDeletions++;
      } else {
        await create(parentName(nextIndex++));
        churn.parentCreations++;
      }
    };

    const churnEnd = t0 + opts.minutes * 60_000;
    const restartAt = t0 + (opts.minutes * 60_000) / 2;
    let restart: Promise<void> | undefined;
    let restartInfo: Record<string, number> = {};
    const interval = 1000 / opts.rate;
    let next = Date.now();
    while (Date.now() < churnEnd) {
      if (!restart && Date.now() >= restartAt) {
        log("SIGKILL kube-apiserver ...");
        restart = cp.restartApiServer({ downMs: opts.downSeconds * 1000 }).then((r) => {
          restartInfo = { stoppedAt: since(r.stoppedAt), readyAt: since(r.readyAt) };
          marks.push({ t: since(r.stoppedAt), label: "API server SIGKILL" });
          log(`kube-apiserver ready again after ${r1((r.readyAt - r.stoppedAt) / 1000)} s`);
        });
      }
      try {
        await operation();
      } catch (err) {
        churn.failed++;
        log(`operation failed: ${(err as Error).message}`);
      }
      // A steady rate: after a stall (the outage) the schedule restarts from now, without a burst.
      next = Math.max(next + interval, Date.now() - interval);
      await sleep(Math.max(0, next - Date.now()));
    }
    await restart;
    const churnEndedAt = Date.now();
    marks.push({ t: since(churnEndedAt), label: "churn ends" });
    log(`churn over: ${JSON.stringify(churn)}; waiting for convergence`);

    // Everything converges: every live parent to its last spec, every deleted one gone, children collected.
    const settleDeadline = Date.now() + 300_000;
    let convergedAt: number | undefined;
    let gcSettled = false;
    for (;;) {
      const children = childTally(harness);
      const stuck = [...deleted].filter((n) => harness.observer.exists(n)).length;
      const lost = harness.observer.notConverged().length;
      if (lost === 0 && stuck === 0) convergedAt ??= Date.now();
      if (convergedAt && children.orphans === 0 && children.missing === 0) {
        gcSettled = true;
        break;
      }
      if (Date.now() > settleDeadline) break;
      await sleep(500);
    }
    await sleep(2 * opts.sampleSeconds * 1000); // a few samples of the idle operator
    clearInterval(sampler);
    sampler = undefined;
    await sleep(1000); // let trailing writes reach the audit log
    const children = childTally(harness);
    const audit = await cp.auditWrites(t0);
    const stats = statsOf(samples, { ...opts, warmupMinutes: warmupSeconds / 60 }, restartInfo.readyAt);
    result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAvg1m: { mean: r1(mean(loads)), max: r1(Math.max(...loads)) } },
      versions: { kubernetes: cp.version.kubernetes, node: process.version },
      options: { ...opts, warmupMinutes: warmupSeconds / 60 },
      churn,
      restart: { downSeconds: opts.downSeconds, ...restartInfo },
      end: {
        convergedAfterChurnSeconds: convergedAt ? r1((convergedAt - churnEndedAt) / 1000) : null,
        gcSettled,
        lostUpdates: harness.observer.notConverged().length,
        stuckDeletions: [...deleted].filter((n) => harness.observer.exists(n)).length,
        liveParents: live.size,
        ...children,
        writes: tallyWrites(audit, OPERATOR_USER, harness.namespace, t0),
      },
      stats,
      verdict: soakVerdict(stats),
      marks,
      samples,
    };
    log(`end: ${JSON.stringify(result.end)}`);
    log(soakVerdict(stats));
  } finally {
    if (sampler) clearInterval(sampler);
    await h?.close();
    await http.close();
    await cp.stop();
  }
  if (!opts.write || !result) return;
  writeFileSync(jsonPath, JSON.stringify(result, null, 2) + "\n");
  writeSoakDocs(root, result as unknown as SoakResult);
  log("wrote bench/results/soak.json, docs/img/soak.svg and the soak section of docs/reliability.md");
}

/** Children tallied per parent; items of a relist carry no kind, so it is set from the map they are in. */
function childTally(harness: CaseHarness): ReturnType<typeof tallyChildren> {
  const snap = harness.observer.snapshot();
  const withKind = (kind: string) => (o: Record<string, any>) => ({ ...o, kind });
  return tallyChildren(snap.parents, [...snap.configMaps.map(withKind("ConfigMap")), ...snap.services.map(withKind("Service"))]);
}

/** The soak's statistics; the RSS is also fitted from a minute after the API server was ready again. */
function statsOf(samples: SoakSample[], options: { warmupMinutes: number; parents: number }, restartReadyAt: number | undefined) {
  return soakStats(samples, {
    warmupSeconds: options.warmupMinutes * 60,
    bound: options.parents,
    ...(restartReadyAt !== undefined ? { settledFromSeconds: restartReadyAt + 60 } : {}),
  });
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** The parts of soak.json the docs are written from. */
interface SoakResult {
  date: string;
  machine: { cpus: number; cpuModel?: string; loadAvg1m: { mean: number; max: number } };
  versions: { kubernetes: string; node: string };
  options: Options & { warmupMinutes: number };
  churn: Churn;
  restart: { downSeconds: number; stoppedAt?: number; readyAt?: number };
  end: {
    convergedAfterChurnSeconds: number | null;
    lostUpdates: number;
    stuckDeletions: number;
    duplicates: number;
    orphans: number;
    missing: number;
    writes: { total: number; refused: number; conflicts: number };
  };
  stats: ReturnType<typeof soakStats>;
  verdict: string;
  marks: SoakMark[];
  samples: SoakSample[];
}

function writeSoakDocs(root: string, res: SoakResult): void {
  const o = res.options;
  mkdirSync(join(root, "docs", "img"), { recursive: true });
  writeFileSync(
    join(root, "docs", "img", "soak.svg"),
    soakSvg(res.samples, {
      title: `tsoperator soak: ${o.parents} parents, ${o.rate} changes/s, ${o.minutes} min (${res.date.slice(0, 10)})`,
      warmupSeconds: o.warmupMinutes * 60,
      marks: res.marks.filter((m) => m.label === "API server SIGKILL"),
    }),
  );
  const docPath = join(root, "docs", "reliability.md");
  if (!existsSync(docPath)) return;
  writeFileSync(docPath, replaceBetween(readFileSync(docPath, "utf8"), "soak", soakSection(res)));
}

/** The measured part of the soak section of docs/reliability.md. */
function soakSection(res: SoakResult): string {
  const o = res.options;
  const e = res.end;
  const c = res.churn;
  return [
    `Measured ${res.date.slice(0, 16)} UTC: ${o.minutes} min, ${o.parents} parents, ${o.rate} operations/s ` +
      `(${c.specChanges} spec changes, ${c.childDeletions} child deletions, ${c.parentDeletions} parent deletions, ` +
      `${c.parentCreations} creations), kube-apiserver SIGKILLed at minute ${((res.restart.stoppedAt ?? 0) / 60).toFixed(1)} ` +
      `and back after ${o.downSeconds} s; sampled every ${o.sampleSeconds} s; ${res.machine.cpus} CPUs shared ` +
      `(1-min load average ${res.machine.loadAvg1m.mean} mean, ${res.machine.loadAvg1m.max} max). ` +
      "Raw samples in [bench/results/soak.json](../bench/results/soak.json).",
    "",
    "![RSS, heap used and work-queue depth of the operator over the soak](img/soak.svg)",
    "",
    `- **Converged at the end:** ${e.convergedAfterChurnSeconds === null ? "NO" : `${e.convergedAfterChurnSeconds} s after the churn stopped`}; ` +
      `${e.lostUpdates} lost updates, ${e.stuckDeletions} parents stuck in deletion, ${e.duplicates} duplicate, ` +
      `${e.orphans} orphaned and ${e.missing} missing children; ${e.writes.total} operator writes, ${e.writes.refused} refused ` +
      `(${e.writes.conflicts} x 409).`,
    `- ${res.verdict}`,
  ].join("\n");
}

/** Replaces the text between `<!-- name:results:start -->` and `...:end -->` (appends them when missing). */
function replaceBetween(doc: string, name: string, text: string): string {
  const start = `<!-- ${name}:results:start -->`;
  const end = `<!-- ${name}:results:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) return `${doc.trimEnd()}\n\n${start}\n${text}\n${end}\n`;
  return `${doc.slice(0, i + start.length)}\n${text}\n${doc.slice(j)}`;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
