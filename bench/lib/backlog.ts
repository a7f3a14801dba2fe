/**
 * W1b, restart over a backlog: P parents are created while no operator runs (every deploy, crash
 * and failover of a real operator), then the peer starts; measured from the peer's process start
 * to every parent converged (the harness's watches), with the writes it took and its CPU and
 * memory. Operators find the backlog by listing; the raw bound gets one job per parent from one
 * list the harness makes right after the start (the same writes, no reconcile logic).
 */
import { join } from "node:path";
import { countWrites, diffCounts, readRequestTotals, snapshotOwn, type RequestCounts } from "./apiserver-metrics.js";
import { ConvergenceObserver } from "./observer.js";
import { PeerProcess, readProcUsage, type PeerCommand } from "./peer-process.js";
import type { PeerDefinition } from "./peers.js";
import { createNamespace, deleteNamespace, forEachLimited, stripFinalizers, waitQuiet, type RunContext } from "./phases.js";
import { PARENT_API_VERSION, PARENT_PLURAL, parentName, parentObject, payloadFor } from "./workload.js";

/** Figures of one W1b run. */
export interface BacklogResult {
  peer: string;
  rep: number;
  parents: number;
  /** From the peer's process start to every parent converged. */
  ms?: number;
  writes?: number;
  requests?: RequestCounts;
  peerCpuMs?: number;
  apiServerCpuMs?: number;
  peakRssBytes?: number;
  /** How long creating the backlog took (not part of `ms`). */
  backlogWritesMs?: number;
  error?: string;
}

/** Runs W1b for one peer; never throws (failures land in `error`). */
export async function runBacklog(ctx: RunContext, peer: PeerDefinition, cmd: PeerCommand, rep: number): Promise<BacklogResult> {
  const { http, log, parents: P } = ctx;
  const result: BacklogResult = { peer: peer.name, rep, parents: P };
  const ns = `w1b-${peer.name}-${rep}`.replace(/[^a-z0-9-]/g, "-");
  const logPath = join(ctx.logDir, `${ns}.log`);
  const parentsPath = `/apis/${PARENT_API_VERSION}/namespaces/${ns}/${PARENT_PLURAL}`;
  const names = Array.from({ length: P }, (_, i) => parentName(i));
  await createNamespace(http, ns);
  const observer = new ConvergenceObserver(http, ns);
  await observer.start();
  let proc: PeerProcess | undefined;
  try {
    log(`  ${peer.name} rep ${rep}: W1b creating a backlog of ${P} parents (no operator running)`);
    const created = new Map<string, any>();
    const began = performance.now();
    observer.beginPhase("converge", P);
    await forEachLimited(names, ctx.harnessConcurrency, async (name) => {
      const parent = (await http.send<any>("POST", parentsPath, { body: parentObject(ns, name) }))!;
      created.set(name, parent);
      observer.expect(name, { payload: payloadFor(name, 1), generation: parent.metadata.generation });
    });
    result.backlogWritesMs = Math.round(performance.now() - began);
    const [m0, own0, api0] = [await readRequestTotals(http), snapshotOwn(http.counts), await readProcUsage(ctx.apiServerPid)];
    const started = performance.now();
    proc = PeerProcess.start(peer.name, cmd, ctx.kubeconfigPath, ns, logPath);
    if (peer.kind === "raw") {
      // The raw bound: one list, one job per parent.
      const list = (await http.send<any>("GET", parentsPath))!.items as any[];
      for (const parent of list) {
        const m = parent.metadata;
        proc.send(JSON.stringify({ op: "w1", name: m.name, uid: m.uid, generation: m.generation, payload: parent.spec?.payload ?? "" }));
      }
    }
    // Generous: a restart is operator-bound, and the shared bench machine can be slow (seen: ~8/s).
    const timeoutMs = 60_000 + P * 400;
    const progress = setInterval(() => log(`  ${peer.name} rep ${rep}: W1b ${observer.describe()}`), 5000);
    try {
      await observer.waitConverged(P, timeoutMs);
    } finally {
      clearInterval(progress);
    }
    result.ms = Math.round(performance.now() - started);
    await waitQuiet(proc, 30_000);
    const usage = await proc.usage();
    const [m1, own1, api1] = [await readRequestTotals(http), snapshotOwn(http.counts), await readProcUsage(ctx.apiServerPid)];
    result.requests = diffCounts(m0, m1, diffCounts(own0, own1));
    result.writes = countWrites(result.requests);
    result.peerCpuMs = usage.cpuMs;
    result.apiServerCpuMs = api1.cpuMs - api0.cpuMs;
    log(
      `  ${peer.name} rep ${rep}: W1b ${result.ms} ms from process start, ${result.writes} writes, ` +
        `CPU ${result.peerCpuMs} ms (API server ${result.apiServerCpuMs} ms)`,
    );
  } catch (err) {
    result.error = (err as Error).message;
    log(`  ${peer.name} rep ${rep}: W1b FAILED: ${result.error} (peer log: ${logPath})`);
  } finally {
    if (proc) result.peakRssBytes = (await proc.stop()).peakRssBytes;
    observer.stop();
    if (!ctx.disposable) {
      await stripFinalizers(http, parentsPath);
      await deleteNamespace(http, ns, log);
    }
  }
  return result;
}
