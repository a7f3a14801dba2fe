/**
 * One peer, one repetition: a fresh namespace, the peer started, then W1 (fan-out), W2 (no-op
 * resync by restarting the peer), W3 (spec update) and W4 (delete), each timed by the harness's
 * watches, with the apiserver's request counters and the peer's /proc usage read around it.
 */
import { join } from "node:path";
import { diffCounts, readRequestTotals, snapshotOwn, countWrites, type RequestCounts } from "./apiserver-metrics.js";
import { KubeHttp, PATCH_TYPES } from "./kube-http.js";
import { ConvergenceObserver, type TimelinePoint } from "./observer.js";
import { PeerProcess, readProcUsage, type PeerCommand } from "./peer-process.js";
import type { PeerDefinition } from "./peers.js";
import { PARENT_API_VERSION, PARENT_PLURAL, parentName, parentObject, payloadFor } from "./workload.js";

/** Figures of one workload. */
export interface PhaseResult {
  /** Time to converge (W1, W3), to sweep (W2), or until every parent is gone (W4). */
  ms: number;
  /** Write requests on the workload's resources, the harness's own subtracted. */
  writes: number;
  /** All requests on the workload's resources by `VERB resource`, the harness's own subtracted. */
  requests: RequestCounts;
  /** CPU time of the peer during the phase. */
  peerCpuMs: number;
  /** CPU time of kube-apiserver during the phase. */
  apiServerCpuMs: number;
  /** How long the harness's own writes of the phase (create/patch/delete P parents) took. */
  harnessWritesMs?: number;
  timeline?: TimelinePoint[];
}

/** Figures of one peer in one repetition. */
export interface PeerRunResult {
  peer: string;
  rep: number;
  /** Position of the peer within its repetition (order alternates). */
  position: number;
  w1?: PhaseResult;
  /** Undefined for raw peers: with nothing to reconcile they have nothing to do. */
  w2?: PhaseResult;
  w3?: PhaseResult;
  w4?: PhaseResult;
  /** RSS of the peer when it reported READY (caches listed, namespace empty). */
  rssReadyBytes?: number;
  /** RSS of the peer right after W1 (cache full). */
  rssAfterW1Bytes?: number;
  /** Peak RSS (VmHWM) over the peer's processes. */
  peakRssBytes?: number;
  error?: string;
}

/** What a run needs from its surroundings. */
export interface RunContext {
  http: KubeHttp;
  kubeconfigPath: string;
  apiServerPid: number;
  parents: number;
  /** Parallel requests of the harness's own writes. */
  harnessConcurrency: number;
  logDir: string;
  log: (line: string) => void;
  /** The control plane is stopped right after this run: no need to clean its namespace up. */
  disposable?: boolean;
}

const QUIET_MS = 1000;
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3000);

/** Runs W1..W4 for one peer; never throws (failures land in `error`). */
export async function runPeer(
  ctx: RunContext,
  peer: PeerDefinition,
  cmd: PeerCommand,
  rep: number,
  position: number,
): Promise<PeerRunResult> {
  const result: PeerRunResult = { peer: peer.name, rep, position };
  const ns = `bench-${peer.name}-${rep}`.replace(/[^a-z0-9-]/g, "-");
  const { http, log, parents: P } = ctx;
  const timeoutMs = 60_000 + P * 60;
  const logPath = join(ctx.logDir, `${ns}.log`);
  await createNamespace(http, ns);
  const observer = new ConvergenceObserver(http, ns);
  await observer.start();
  let proc = PeerProcess.start(peer.name, cmd, ctx.kubeconfigPath, ns, logPath);
  let peakRss = 0;
  const progress = setInterval(() => log(`  ${peer.name} rep ${rep}: ${observer.describe()} syncs=${proc.syncCount}`), 5000);
  const parentsPath = `/apis/${PARENT_API_VERSION}/namespaces/${ns}/${PARENT_PLURAL}`;
  const names = Array.from({ length: P }, (_, i) => parentName(i));
  try {
    await proc.waitReady(60_000);
    // Let the peer's watches settle: right after its caches report synced, a watch can take ~2 s
    // to deliver events (seen with controller-runtime). W1 measures fan-out, not start-up; the
    // start-up cost shows in W2.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    result.rssReadyBytes = (await proc.usage()).rssBytes;

    /** Measures one phase: counters and usage around `body`, which resolves with the phase's time. */
    const measure = async (
      body: () => Promise<{ ms: number; timeline?: TimelinePoint[]; harnessWritesMs?: number }>,
      { restartsPeer = false, quietCapMs = 30_000 } = {},
    ): Promise<PhaseResult> => {
      const [m0, own0, api0] = [await readRequestTotals(http), snapshotOwn(http.counts), await readProcUsage(ctx.apiServerPid)];
      // A phase that restarts the peer counts the new process's CPU only.
      const cpu0 = restartsPeer ? 0 : (await proc.usage()).cpuMs;
      const { ms, timeline, harnessWritesMs } = await body();
      await waitQuiet(proc, quietCapMs);
      const usage = await proc.usage();
      peakRss = Math.max(peakRss, usage.peakRssBytes);
      const [m1, own1, api1] = [await readRequestTotals(http), snapshotOwn(http.counts), await readProcUsage(ctx.apiServerPid)];
      const requests = diffCounts(m0, m1, diffCounts(own0, own1));
      return {
        ms: Math.round(ms),
        writes: countWrites(requests),
        requests,
        peerCpuMs: usage.cpuMs - cpu0,
        apiServerCpuMs: api1.cpuMs - api0.cpuMs,
        harnessWritesMs,
        timeline,
      };
    };

    log(`  ${peer.name} rep ${rep}: W1 create ${P} parents`);
    result.w1 = await measure(async () => {
      observer.beginPhase("converge", P);
      const writesBegan = performance.now();
      await forEachLimited(names, ctx.harnessConcurrency, async (name) => {
        const created = (await http.send<any>("POST", parentsPath, { body: parentObject(ns, name) }))!;
        observer.expect(name, { payload: payloadFor(name, 1), generation: created.metadata.generation });
        if (peer.kind === "raw") proc.send(job("w1", created));
      });
      const harnessWritesMs = Math.round(performance.now() - writesBegan);
      return { ...(await observer.waitConverged(P, timeoutMs)), harnessWritesMs };
    });
    result.rssAfterW1Bytes = (await proc.usage()).rssBytes;
    log(`  ${peer.name} rep ${rep}: W1 ${result.w1.ms} ms, ${result.w1.writes} writes`);

    if (peer.kind === "operator") {
      log(`  ${peer.name} rep ${rep}: W2 restart (no-op resync of ${P} parents)`);
      result.w2 = await measure(
        async () => {
          peakRss = Math.max(peakRss, (await proc.stop()).peakRssBytes);
          const began = performance.now();
          proc = PeerProcess.start(peer.name, cmd, ctx.kubeconfigPath, ns, logPath);
          await proc.waitSyncs(P, timeoutMs);
          return { ms: performance.now() - began };
        },
        { restartsPeer: true },
      );
      log(`  ${peer.name} rep ${rep}: W2 ${result.w2.ms} ms, ${result.w2.writes} writes`);
    }

    log(`  ${peer.name} rep ${rep}: W3 update ${P} parents`);
    result.w3 = await measure(async () => {
      observer.beginPhase("converge", P);
      const writesBegan = performance.now();
      await forEachLimited(names, ctx.harnessConcurrency, async (name) => {
        const payload = payloadFor(name, 2);
        const patched = (await http.send<any>("PATCH", `${parentsPath}/${name}`, {
          body: { spec: { payload } },
          contentType: PATCH_TYPES.merge,
        }))!;
        observer.expect(name, { payload, generation: patched.metadata.generation });
        if (peer.kind === "raw") proc.send(job("w3", patched));
      });
      const harnessWritesMs = Math.round(performance.now() - writesBegan);
      return { ...(await observer.waitConverged(P, timeoutMs)), harnessWritesMs };
    });
    log(`  ${peer.name} rep ${rep}: W3 ${result.w3.ms} ms, ${result.w3.writes} writes`);

    log(`  ${peer.name} rep ${rep}: W4 delete ${P} parents`);
    result.w4 = await measure(
      async () => {
        observer.beginPhase("gone", P);
        const writesBegan = performance.now();
        await forEachLimited(names, ctx.harnessConcurrency, async (name) => {
          const deleted = await http.send<any>("DELETE", `${parentsPath}/${name}`, { allow404: true });
          if (peer.kind === "raw" && deleted?.metadata?.deletionTimestamp) proc.send(job("w4", deleted));
        });
        const harnessWritesMs = Math.round(performance.now() - writesBegan);
        return { ...(await observer.waitGone(P, timeoutMs)), harnessWritesMs };
        // Short tail: once the parents are gone, what follows is the garbage collector deleting
        // children (and the peer reacting to those events), not the peer's W4 work.
      },
      { quietCapMs: 3000 },
    );
    log(`  ${peer.name} rep ${rep}: W4 ${result.w4.ms} ms, ${result.w4.writes} writes`);
  } catch (err) {
    result.error = (err as Error).message;
    log(`  ${peer.name} rep ${rep}: FAILED: ${result.error} (peer log: ${logPath})`);
  } finally {
    clearInterval(progress);
    const last = await proc.stop();
    result.peakRssBytes = Math.max(peakRss, last.peakRssBytes);
    observer.stop();
    await stripFinalizers(http, parentsPath);
    await deleteNamespace(http, ns, log);
  }
  return result;
}

function job(op: "w1" | "w3" | "w4", parent: any): string {
  const m = parent.metadata;
  return JSON.stringify({ op, name: m.name, uid: m.uid, generation: m.generation, payload: parent.spec?.payload ?? "" });
}

/** Waits until the peer's sync count has not moved for QUIET_MS (at most `capMs`). */
export async function waitQuiet(proc: PeerProcess, capMs: number): Promise<void> {
  const deadline = performance.now() + capMs;
  let last = proc.syncCount;
  let since = performance.now();
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (proc.syncCount !== last) {
      last = proc.syncCount;
      since = performance.now();
    } else if (performance.now() - since >= QUIET_MS) return;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Removes the finalizers of parents a failed run left behind, so the namespace can go. */
export async function stripFinalizers(http: KubeHttp, parentsPath: string): Promise<void> {
  try {
    const left = (await http.send<any>("GET", parentsPath))!.items as any[];
    await forEachLimited(left, 16, async (p) => {
      await http.send("PATCH", `${parentsPath}/${p.metadata.name}`, {
        body: { metadata: { finalizers: null } },
        contentType: PATCH_TYPES.merge,
        allow404: true,
      });
    });
  } catch {
    // best effort: the namespace wait reports what is stuck
  }
}

export async function createNamespace(http: KubeHttp, ns: string): Promise<void> {
  await http.send("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } } });
}

/** Deletes the namespace and waits (at most 3 minutes) until it is gone, so runs do not overlap. */
export async function deleteNamespace(http: KubeHttp, ns: string, log: (line: string) => void): Promise<void> {
  try {
    await http.send("DELETE", `/api/v1/namespaces/${ns}`, { allow404: true });
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (!(await http.send("GET", `/api/v1/namespaces/${ns}`, { allow404: true }))) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`  namespace ${ns} still terminating after 3 minutes; going on`);
  } catch (err) {
    log(`  namespace ${ns}: ${(err as Error).message}`);
  }
}
