/**
 * The fault cases about the operator's own processes and handlers: two replicas with the leader
 * SIGKILLed, a handler that never returns, and the operator SIGKILLed between a Recreate's delete
 * and create and while finalize handlers run. They drive the benchmark operator's fault switches
 * (bench/operators/tsoperator-bench.ts) and read what happened from the audit log and from what
 * the operator printed (`LEADING`, `HUNG <name>`, `FINALIZED <uid>`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FAULT_ANNOTATION } from "../lib/workload.js";
import { base, finish, type FaultCase } from "./case-kit.js";
import { CaseHarness, OPERATOR_USER, REPLICA_USERS, type SuiteContext } from "./harness.js";
import { betweenDeleteAndCreate, finalizeRuns, handover, minimumWrites } from "./tally.js";

/** Knobs the short versions in `npm test` turn down; the defaults are the suite's. */
export interface ProcessCaseOptions {
  /** Lease duration of the leader-failover replicas (default: the framework's 15 s). */
  leaseSeconds?: number;
  /** Handler timeout of the hanging-handler case (default 10 s). */
  handlerTimeoutMs?: number;
  /** How long the hung call keeps hanging after the timeout was reported and its spec changed (default 3 s). */
  hangAfterChangeMs?: number;
  /** How long each finalize takes in the finalize case (default 300 ms). */
  finalizeDelayMs?: number;
}

const third = (n: number) => Math.max(1, Math.floor(n / 3));

/** Polls `done` every 10 ms; rejects after `timeoutMs` naming `what`. */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Two replicas with leader election; the leader SIGKILLed mid-convergence. */
export function leaderFailover(options: ProcessCaseOptions = {}): FaultCase {
  const name = "leader-failover";
  return {
    name,
    async run(ctx) {
      const capMs = 120_000;
      const [userA, userB] = REPLICA_USERS;
      const lease = options.leaseSeconds ? ["--lease-duration-s", String(options.leaseSeconds)] : [];
      const h = await CaseHarness.open(ctx, `faults-${name}`, false, { operator: false });
      const result = base(
        name,
        ctx,
        capMs,
        `two replicas with leader election (Lease ${options.leaseSeconds ?? 15} s; users ${userA} and ${userB}, so the audit log ` +
          `tells their writes apart); the leader SIGKILLed once ${third(ctx.parents)} parents had converged`,
        "after the SIGKILL",
      );
      try {
        const leader = await h.spawnOperator({ user: userA, args: ["--leader-election", userA, ...lease] });
        await leader.waitLine("LEADING", 60_000);
        const standby = await h.spawnOperator({ user: userB, args: ["--leader-election", userB, ...lease] });
        await h.createParents();
        await h.waitConverged(third(ctx.parents), 120_000);
        if (leader.hasExited || leader.lines.some((l) => l.line === "NOT LEADING")) {
          throw new Error("the leader lost its Lease before the kill (it missed its renew deadline): the case measured nothing");
        }
        await leader.kill();
        const killedAt = Date.now();
        result.details.convergedAtKill = h.observer.convergedCount;
        const leadingAt = await standby.waitLine("LEADING", 120_000);
        result.details.killToLeadingMs = leadingAt - killedAt;
        const done = await h.waitAllConverged(capMs);
        if (done) result.recoveryMs = done - killedAt;
        await sleep(1000); // trailing writes into the audit log
        const seen = handover(await ctx.cp.auditWrites(h.startedAt), userA, userB, h.namespace);
        if (seen.newAcquiredAt !== undefined) result.details.killToLeaseAcquiredMs = seen.newAcquiredAt - killedAt;
        // Positive: received after the kill (a request the dying process had sent, read by the API server late).
        if (seen.oldLastWriteAt !== undefined) result.details.oldLeaderLastWriteAfterKillMs = seen.oldLastWriteAt - killedAt;
        result.details.oldLeaderRefusedWrites = seen.oldRefused;
        if (seen.newFirstWriteAt !== undefined) result.details.killToNewLeaderFirstWriteMs = seen.newFirstWriteAt - killedAt;
        result.details.oldLeaderWritesAfterNewLeadersFirst = seen.oldWritesAfterNewFirst;
        result.details.standbyWritesBeforeLeading = seen.newWritesBeforeAcquired;
      } catch (err) {
        result.error = (err as Error).message;
      }
      return finish(h, result, REPLICA_USERS);
    },
  };
}

/** One parent's sync never returns (until the harness lets it); the others converge, its later spec change too. */
export function hangingHandler(options: ProcessCaseOptions = {}): FaultCase {
  const name = "hanging-handler";
  const timeoutMs = options.handlerTimeoutMs ?? 10_000;
  const holdMs = options.hangAfterChangeMs ?? 3_000;
  return {
    name,
    async run(ctx) {
      const capMs = 120_000;
      const h = await CaseHarness.open(ctx, `faults-${name}`, false, {
        operatorArgs: ["--faults", "--handler-timeout-ms", String(timeoutMs)],
      });
      const hung = h.names[Math.min(7, h.names.length - 1)]!;
      const result = base(
        name,
        ctx,
        capMs,
        `${ctx.parents} parents created; the sync of one (${hung}) never returns (it ignores its abort signal; handler timeout ` +
          `${timeoutMs / 1000} s); its spec changed once the timeout was reported; the hung call returns ${holdMs / 1000} s later`,
        "after the hung call returned",
      );
      try {
        const operator = h.operatorProcess;
        const createdAt = Date.now();
        await h.createParents(h.names, undefined, (n) => (n === hung ? { [FAULT_ANNOTATION]: "hang" } : undefined));
        const hungAt = await operator.waitLine(`HUNG ${hung}`, 60_000);
        // Seen by the harness's polls (250 ms apart; the Event's own timestamps have whole seconds).
        const reported = waitForEvent(ctx, h.namespace, hung, "HandlerTimeout", timeoutMs + 60_000).then((e) => ({ e, at: Date.now() }));
        reported.catch(() => undefined); // awaited below; not unhandled meanwhile
        await h.waitConverged(ctx.parents - 1, capMs);
        result.details.othersConvergedMs = Date.now() - createdAt;
        const { e: event, at: seenAt } = await reported;
        result.details.timeoutEventAfterMs = seenAt - hungAt;
        result.details.timeoutEvent = String(event.message);
        result.details.statusOfHungParent = JSON.stringify(
          h.observer.snapshot().parents.find((p) => p.metadata.name === hung)?.status ?? null,
        );
        // Behaves from now on (no hang annotation) with a new spec; the call still hanging must finish first.
        await h.updateParents([hung], { annotations: { [FAULT_ANNOTATION]: null } });
        await sleep(holdMs);
        result.details.convergedWhileCallHung = h.observer.notConverged().includes(hung) ? "no" : "yes";
        result.details.hungCalls = operator.lines.filter((l) => l.line === `HUNG ${hung}`).length;
        const releasedAt = Date.now();
        operator.send("RELEASE");
        const done = await h.waitAllConverged(capMs);
        if (done) result.recoveryMs = done - releasedAt;
      } catch (err) {
        result.error = (err as Error).message;
      }
      return finish(h, result);
    },
  };
}

/** The operator SIGKILLed while a spec change recreates (delete, then create) the ConfigMaps of many parents. */
export function operatorKillRecreate(): FaultCase {
  const name = "operator-sigkill-recreate";
  return {
    name,
    async run(ctx) {
      const capMs = 120_000;
      const h = await CaseHarness.open(ctx, `faults-${name}`, false, { operatorArgs: ["--recreate"] });
      const changed = h.names.slice(0, third(ctx.parents));
      const result = base(
        name,
        ctx,
        capMs,
        `ConfigMaps under the Recreate strategy (delete, then create on the next sync); once ${ctx.parents} parents had converged, ` +
          `${changed.length} parents' specs changed and the operator SIGKILLed while their recreates were in flight; a new process started at once`,
        "after the new process was spawned",
      );
      try {
        await h.createParents();
        await h.waitConverged(ctx.parents, capMs);
        const expected = 2 * ctx.parents;
        const updating = h.updateParents(changed);
        // Kill while ConfigMaps are gone and not yet created anew: Recreate's window.
        await until(() => expected - h.observer.sizes().configMaps >= Math.max(1, Math.floor(changed.length / 20)), 60_000, "a recreate");
        await h.operatorProcess.kill();
        const killedAt = Date.now();
        result.details.configMapsMissingAtKill = expected - h.observer.sizes().configMaps;
        await updating;
        const spawnedAt = await h.startOperator();
        const done = await h.waitAllConverged(capMs);
        if (done) result.recoveryMs = done - spawnedAt;
        await sleep(1000);
        const audit = await ctx.cp.auditWrites(h.startedAt);
        result.details.parentsBetweenDeleteAndCreateAtKill = betweenDeleteAndCreate(audit, OPERATOR_USER, h.namespace, killedAt).length;
      } catch (err) {
        result.error = (err as Error).message;
      }
      const out = await finish(h, result);
      // A Recreate costs two more writes per update than Apply: each ConfigMap is deleted, then created.
      out.minimumWrites = minimumWrites(ctx.parents, changed.length) + 2 * changed.length;
      return out;
    },
  };
}

/** Parents deleted while slow finalize handlers run; the operator SIGKILLed mid-way, a new process finishes. */
export function operatorKillFinalize(options: ProcessCaseOptions = {}): FaultCase {
  const name = "operator-sigkill-finalize";
  const delayMs = options.finalizeDelayMs ?? 300;
  return {
    name,
    async run(ctx) {
      const capMs = 120_000;
      const h = await CaseHarness.open(ctx, `faults-${name}`, false, { operatorArgs: ["--finalize-delay-ms", String(delayMs)] });
      const result = base(
        name,
        ctx,
        capMs,
        `${ctx.parents} converged parents deleted, each finalize taking ${delayMs} ms; the operator SIGKILLed once ` +
          `${third(ctx.parents)} had been finalized; a new process started at once`,
        "after the new process was spawned",
      );
      let parentsLeft = ctx.parents;
      try {
        await h.createParents();
        await h.waitConverged(ctx.parents, capMs);
        const uids = h.observer.snapshot().parents.map((p) => p.metadata.uid as string);
        const first = h.operatorProcess;
        const deleting = h.deleteParents();
        const finalized = (lines: Array<{ line: string }>) => finalizeRuns(lines.map((l) => l.line));
        await until(() => finalized(first.lines).size >= third(ctx.parents), 60_000, "finalize runs");
        await first.kill();
        result.details.finalizedAtKill = finalized(first.lines).size;
        result.details.parentsLeftAtKill = h.observer.sizes().parents;
        await deleting;
        const spawnedAt = await h.startOperator();
        try {
          await h.observer.waitGone(ctx.parents, capMs);
          result.recoveryMs = Date.now() - spawnedAt;
        } catch {
          // counted below
        }
        parentsLeft = h.observer.sizes().parents;
        // The garbage collector deletes the children of parents that are gone.
        const childrenLeft = () => h.observer.sizes().configMaps + h.observer.sizes().services;
        const goneAt = Date.now();
        await until(() => childrenLeft() === 0, 60_000, "the garbage collector").catch(() => undefined);
        result.details.childrenCollectedAfterMs = Date.now() - goneAt;
        const runs = finalized([...first.lines, ...h.operatorProcess.lines]);
        result.details.finalizedAtLeastOnce = uids.filter((uid) => (runs.get(uid) ?? 0) >= 1).length;
        result.details.finalizeNeverRan = uids.filter((uid) => !runs.has(uid)).length;
        result.details.finalizedTwice = uids.filter((uid) => (runs.get(uid) ?? 0) > 1).length;
      } catch (err) {
        result.error = (err as Error).message;
      }
      const out = await finish(h, result);
      // Lost here means not gone: the parents left at the end.
      out.lostUpdates = parentsLeft;
      // Per parent: finalizer, 3 children, status; then the finalizer's removal.
      out.minimumWrites = minimumWrites(ctx.parents, 0) + ctx.parents;
      return out;
    },
  };
}

/** Waits for a Warning Event of `reason` about parent `name`; resolves with it. */
async function waitForEvent(ctx: SuiteContext, namespace: string, name: string, reason: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  const selector = encodeURIComponent(`involvedObject.name=${name},reason=${reason}`);
  for (;;) {
    const list = await ctx.http.send<any>("GET", `/api/v1/namespaces/${namespace}/events?fieldSelector=${selector}`);
    const found = (list?.items ?? [])[0];
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${reason} Event about ${name} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** The cases of this module, in the order `npm run faults` runs them. */
export function processCases(options: ProcessCaseOptions = {}): FaultCase[] {
  return [leaderFailover(options), hangingHandler(options), operatorKillRecreate(), operatorKillFinalize(options)];
}
