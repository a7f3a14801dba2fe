/**
 * The fault cases of `npm run faults`. Each runs in its own namespace against the same control
 * plane, injects one fault while the operator is converging, and reports the recovery time (from
 * the end of the fault to every parent converged) and the counts of {@link CaseCounts}.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { limitUserSeats, type UserSeatLimit } from "../../src/testing/index.js";
import { base, finish, type CaseResult, type FaultCase } from "./case-kit.js";
import { CaseHarness, OPERATOR_USER, type CaseCounts, type HarnessOptions, type SuiteContext } from "./harness.js";
import { PacedRawClient } from "./paced-raw.js";
import { processCases } from "./process-cases.js";
import { parentOfWrite, type WriteTally } from "./tally.js";

export type { CaseResult, FaultCase } from "./case-kit.js";

/** Converged parents before the fault: a third of them, so the fault lands mid-convergence. */
const midway = (parents: number) => Math.max(1, Math.floor(parents / 3));
/** Parents whose spec changes during or right after the fault (a fifth of them). */
const updated = (names: string[]) => names.filter((_, i) => i % 5 === 0);

/** API server SIGKILLed mid-convergence, down `downMs`, optionally with etcd compacted meanwhile (a real 410). */
export function apiServerKill(downMs: number, compact = false): FaultCase {
  const name = `apiserver-sigkill-${downMs / 1000}s${compact ? "-compacted" : ""}`;
  return {
    name,
    async run(ctx) {
      const capMs = 180_000;
      const h = await CaseHarness.open(ctx, `faults-${name}`);
      const result: CaseResult = base(
        name,
        ctx,
        capMs,
        `kube-apiserver SIGKILLed once ${midway(ctx.parents)} parents had converged, restarted after ${downMs / 1000} s` +
          (compact ? " with etcd compacted while it was down (watches resume past the compaction: 410 Gone)" : "") +
          `; then ${updated(h.names).length} parents' specs changed`,
        "after /readyz OK",
      );
      try {
        const createdAt = Date.now();
        await h.createParents();
        await h.waitConverged(midway(ctx.parents), 120_000);
        const killedAt = Date.now();
        result.details.convergedAtKill = h.observer.convergedCount;
        // The pace this loaded machine converges at with no fault: the yardstick for the recovery.
        result.details.parentsPerSecondBeforeKill = round1((h.observer.convergedCount * 1000) / (killedAt - createdAt));
        await ctx.cp.stopApiServer({ signal: "SIGKILL" });
        if (compact) result.details.compactedRevision = await ctx.cp.compactEtcd();
        await sleep(Math.max(0, downMs - (Date.now() - killedAt)));
        const readyAt = await ctx.cp.startApiServer();
        const start = ctx.cp.lastApiServerStart!;
        result.details.downMs = start.startedAt - killedAt;
        result.details.startToServingMs = start.servingAt - start.startedAt;
        result.details.servingToReadyzMs = readyAt - start.servingAt;
        result.details.readyzChecksFailingMeanwhile = start.notReadyChecks.join(" ");
        result.details.convergedAtReadyz = h.observer.convergedCount;
        await h.updateParents(updated(h.names));
        const done = await h.waitAllConverged(capMs);
        if (done) {
          result.recoveryMs = done - readyAt;
          result.details.servingToConvergedMs = done - start.servingAt;
          result.details.parentsPerSecondAfterReadyz = round1(
            ((ctx.parents - Number(result.details.convergedAtReadyz)) * 1000) / (done - readyAt),
          );
          // The first write of the operator the restarted server accepted, from /readyz OK (negative: before it).
          await sleep(500);
          const accepted = (await ctx.cp.auditWrites(start.startedAt)).find(
            (w) => w.user === OPERATOR_USER && w.namespace === h.namespace && (w.code ?? 0) < 400,
          );
          if (accepted) result.details.firstAcceptedWriteAfterReadyzMs = accepted.time.getTime() - readyAt;
        }
      } catch (err) {
        result.error = (err as Error).message;
      }
      return finish(h, result);
    },
  };
}

/** Watches silently stalled: the proxy stops forwarding on the operator's open connections, then the work arrives. */
export function stalledWatch(): FaultCase {
  const name = "watch-stalled";
  return {
    name,
    async run(ctx, proxy) {
      const capMs = 240_000;
      const h = await CaseHarness.open(ctx, `faults-${name}`, true);
      const result: CaseResult = base(
        name,
        ctx,
        capMs,
        "every connection the operator had open (its watches among them) stalled by the proxy without closing; " +
          `then ${ctx.parents} parents created (new connections pass)`,
        "after the stall (the parents are created right after it)",
      );
      try {
        const stalledAt = Date.now();
        result.details.stalledConnections = proxy.stall();
        await h.createParents();
        const done = await h.waitAllConverged(capMs);
        if (done) result.recoveryMs = done - stalledAt;
        result.details.stillStalledAtEnd = proxy.stalledCount;
      } catch (err) {
        result.error = (err as Error).message;
      } finally {
        proxy.reset(); // the stalled connections would otherwise hang the operator's shutdown
      }
      return finish(h, result);
    },
  };
}

/** Operator SIGKILLed mid-convergence, specs changed while it is down, a new process started. */
export function operatorKill(): FaultCase {
  const name = "operator-sigkill";
  return {
    name,
    async run(ctx) {
      const capMs = 120_000;
      const h = await CaseHarness.open(ctx, `faults-${name}`);
      const result: CaseResult = base(
        name,
        ctx,
        capMs,
        `operator process SIGKILLed once ${midway(ctx.parents)} parents had converged; ${updated(h.names).length} parents' specs ` +
          "changed while it was down; a new process started at once",
        "after the new process was spawned",
      );
      try {
        await h.createParents();
        await h.waitConverged(midway(ctx.parents), 120_000);
        await h.operatorProcess.kill();
        const inLineAtKill = new Set(h.names.filter((n) => !h.observer.notConverged().includes(n)));
        result.details.convergedAtKill = inLineAtKill.size;
        const changed = updated(h.names);
        await h.updateParents(changed);
        const spawnedAt = Date.now();
        await h.startOperator();
        result.details.spawnToReadyMs = Date.now() - spawnedAt - 1000;
        const done = await h.waitAllConverged(capMs);
        if (done) result.recoveryMs = done - spawnedAt;
        // Writes of the new process on parents that were in line at the kill and did not change.
        await sleep(1000);
        const untouched = new Set([...inLineAtKill].filter((n) => !changed.includes(n)));
        const after = (await ctx.cp.auditWrites(spawnedAt)).filter((w) => w.user === OPERATOR_USER && w.namespace === h.namespace);
        result.details.writesOnParentsInLineAtKill = after.filter((w) => untouched.has(parentOfWrite(w) ?? "")).length;
      } catch (err) {
        result.error = (err as Error).message;
      }
      return finish(h, result);
    },
  };
}

/** Writes answered 429 in a tally. */
export function throttledWrites(t: WriteTally): number {
  return Object.entries(t.refusedBy)
    .filter(([key]) => key.endsWith(" 429"))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** How the operator's concurrency limit moved, from its "limit <n> at <ms>" log lines. */
export function limitTrace(log: string): { lowest?: number; last?: number; changes: number } {
  const values = [...log.matchAll(/^limit (\d+) at \d+$/gm)].map((m) => Number(m[1]));
  return {
    ...(values.length > 0 ? { lowest: Math.min(...values), last: values[values.length - 1]! } : {}),
    changes: Math.max(0, values.length - 1),
  };
}

/** One run of the APF case's workload: every parent created and converged under the level's seats. */
interface ApfRun {
  ms?: number;
  converged: number;
  /** Requests of the level the apiserver rejected meanwhile (reads and watches included). */
  rejected: number;
  counts?: CaseCounts;
  limit?: ReturnType<typeof limitTrace>;
  spawnToReadyMs?: number;
  /** CPU time of the operator process (user + system) over its life, ms. */
  operatorCpuMs?: number;
}

/** Runs the workload in `namespace`: with the operator (options) or, when `pacedInFlight` is set, the paced raw client. */
async function apfRun(
  ctx: SuiteContext,
  limit: UserSeatLimit,
  namespace: string,
  capMs: number,
  options: HarnessOptions & { pacedInFlight?: number },
): Promise<ApfRun> {
  const logPath = join(ctx.logDir, `${namespace}.log`);
  if (existsSync(logPath)) rmSync(logPath);
  const paced = options.pacedInFlight !== undefined;
  const spawnedAt = Date.now();
  const h = await CaseHarness.open(ctx, namespace, false, { ...options, operator: !paced });
  const run: ApfRun = { converged: 0, rejected: 0 };
  if (!paced) run.spawnToReadyMs = Date.now() - spawnedAt - 1000;
  const before = await limit.levelSeats();
  try {
    const client = paced
      ? new PacedRawClient(
          { server: ctx.cp.server, token: ctx.cp.tokenOf(OPERATOR_USER), ca: ctx.cp.caCert },
          namespace,
          options.pacedInFlight!,
        )
      : undefined;
    const writing = client?.run();
    const startedAt = Date.now();
    await h.createParents(h.names, (p) =>
      client?.push({ name: p.metadata.name, uid: p.metadata.uid, generation: p.metadata.generation, payload: p.spec.payload }),
    );
    client?.end();
    const done = await h.waitAllConverged(capMs);
    if (done) run.ms = done - startedAt;
    await writing;
  } finally {
    run.converged = h.observer.convergedCount;
    run.rejected = (await limit.levelSeats()).rejected - before.rejected;
    run.counts = await h.counts();
    if (!paced) run.operatorCpuMs = Math.round((await h.operatorProcess.usage()).cpuMs);
    await h.close();
    if (!paced && existsSync(logPath)) run.limit = limitTrace(readFileSync(logPath, "utf8"));
  }
  return run;
}

/**
 * A 429 storm through API Priority and Fairness: the operator's user gets `seats` seats of a
 * priority level that rejects the rest (`limitUserSeats` of tsoperator/testing). The same parents converge three times, each in
 * its own namespace: by the yardstick (a paced raw client with as many requests in flight as
 * seats), by the operator with its adaptive limit (the case's figures), and by the operator with
 * the adaptive limit off (a fixed limit: its pool's 32 connections, 16 syncs).
 */
export function apfStorm(seats: number): FaultCase {
  const name = seats === 1 ? "apf-1-seat" : `apf-${seats}-seats`;
  return {
    name,
    async run(ctx) {
      const capMs = 240_000;
      const result: CaseResult = base(
        name,
        ctx,
        capMs,
        `API priority and fairness gives the operator's user ${seats} seat${seats === 1 ? "" : "s"} (FlowSchema + ` +
          `PriorityLevelConfiguration, Reject, no borrowing); ${ctx.parents} parents created`,
        "after the first parent was created",
      );
      let limit: UserSeatLimit | undefined;
      try {
        const apf = await limitUserSeats(ctx.cp, OPERATOR_USER, seats);
        limit = apf;
        Object.assign(result.details, {
          nominalSeats: apf.seats,
          currentSeats: apf.seats,
          shares: apf.shares.ours,
          ballastShares: apf.shares.ballast,
          otherShares: apf.shares.others,
          serverSeats: apf.serverSeats,
        });
        ctx.log(`    ${name}: level ${JSON.stringify(apf)}`);
        const raw = await apfRun(ctx, apf, `faults-${name}-paced`, capMs, { pacedInFlight: seats });
        result.details.pacedMs = raw.ms ?? "none";
        result.details.pacedRejected = raw.rejected;
        result.details.pacedWrites = raw.counts?.writes.total ?? 0;
        ctx.log(`    ${name}: paced raw client ${raw.ms} ms, ${raw.rejected} rejected`);

        const adaptive = await apfRun(ctx, apf, `faults-${name}`, capMs, {});
        if (adaptive.ms !== undefined) result.recoveryMs = adaptive.ms;
        Object.assign(result, adaptive.counts);
        result.details.spawnToReadyMs = adaptive.spawnToReadyMs ?? 0;
        result.details.rejected = adaptive.rejected;
        result.details.throttledWrites = adaptive.counts ? throttledWrites(adaptive.counts.writes) : 0;
        result.details.operatorCpuMs = adaptive.operatorCpuMs ?? 0;
        result.details.lowestLimit = adaptive.limit?.lowest ?? "-";
        result.details.limitChanges = adaptive.limit?.changes ?? 0;
        if (raw.ms !== undefined && adaptive.ms !== undefined) result.details.throughputVsPaced = Number((raw.ms / adaptive.ms).toFixed(2));
        ctx.log(`    ${name}: adaptive ${adaptive.ms} ms, ${adaptive.rejected} rejected, limit ${JSON.stringify(adaptive.limit)}`);

        const fixed = await apfRun(ctx, apf, `faults-${name}-fixed`, capMs, { operatorEnv: { BENCH_ADAPTIVE_CONCURRENCY: "off" } });
        result.details.fixedMs = fixed.ms ?? "none";
        result.details.fixedConverged = fixed.converged;
        result.details.fixedRejected = fixed.rejected;
        result.details.fixedThrottledWrites = fixed.counts ? throttledWrites(fixed.counts.writes) : 0;
        result.details.fixedWrites = fixed.counts?.writes.total ?? 0;
        ctx.log(`    ${name}: fixed ${fixed.ms} ms, ${fixed.rejected} rejected`);
        const after = await apf.levelSeats();
        result.details.seatsAtEnd = `${after.nominal}/${after.current}`;
      } catch (err) {
        result.error = (err as Error).message;
      } finally {
        await limit?.lift();
      }
      return result;
    },
  };
}
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Every case, by name, in the order `npm run faults` runs them. */
export function allCases(): FaultCase[] {
  return [
    apiServerKill(5_000),
    apiServerKill(30_000),
    apiServerKill(5_000, true),
    stalledWatch(),
    operatorKill(),
    apfStorm(1),
    apfStorm(3),
    ...processCases(),
  ];
}
