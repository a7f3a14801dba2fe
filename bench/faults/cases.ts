/**
 * The fault cases of `npm run faults`. Each runs in its own namespace against the same control
 * plane, injects one fault while the operator is converging, and reports the recovery time (from
 * the end of the fault to every parent converged) and the counts of {@link CaseCounts}.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { FaultProxy } from "../../src/testing/index.js";
import { CaseHarness, OPERATOR_USER, type CaseCounts, type SuiteContext } from "./harness.js";
import { parentOfWrite } from "./tally.js";

/** One case's outcome. */
export interface CaseResult extends CaseCounts {
  name: string;
  parents: number;
  /** What was done, in words. */
  fault: string;
  /** What the recovery time is measured from, as "after ...". */
  recoveryFrom: string;
  /** Milliseconds from the fault's end to every parent converged; undefined when it never converged. */
  recoveryMs?: number;
  /** The wait was given up after this many milliseconds. */
  capMs: number;
  /** Case-specific figures (e.g. the outage, time to /readyz). */
  details: Record<string, number | string>;
  error?: string;
}

/** A case: a name and how to run it. */
export interface FaultCase {
  name: string;
  run(ctx: SuiteContext, proxy: FaultProxy): Promise<CaseResult>;
}

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
        await h.createParents();
        await h.waitConverged(midway(ctx.parents), 120_000);
        const killedAt = Date.now();
        result.details.convergedAtKill = h.observer.convergedCount;
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

function base(name: string, ctx: SuiteContext, capMs: number, fault: string, recoveryFrom: string): CaseResult {
  return {
    name,
    parents: ctx.parents,
    fault,
    recoveryFrom,
    capMs,
    details: {},
    lostUpdates: 0,
    duplicates: 0,
    orphans: 0,
    missing: 0,
    minimumWrites: 0,
    writes: { total: 0, refused: 0, conflicts: 0, byVerb: {}, refusedBy: {} },
  };
}

async function finish(h: CaseHarness, result: CaseResult): Promise<CaseResult> {
  try {
    Object.assign(result, await h.counts());
  } catch (err) {
    result.error ??= `counting: ${(err as Error).message}`;
  }
  await h.close();
  return result;
}

/** Every case, by name, in the order `npm run faults` runs them. */
export function allCases(): FaultCase[] {
  return [apiServerKill(5_000), apiServerKill(30_000), apiServerKill(5_000, true), stalledWatch(), operatorKill()];
}
