import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Metrics } from "../../src/observability/metrics.js";
import { LEASE_RESOURCE, LeaderElector, microTime, type LeaseSpec } from "../../src/manager/leader-election.js";
import { isConflict } from "../../src/kube/index.js";
import { waitFor } from "./support/wait.js";
import { namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

const namespace = "leader-e2e";
/** Short durations so the test runs in seconds: lease 3 s, renew deadline 2 s, retry 0.5 s. */
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
/**
 * For the tests whose fast path (a release, a takeover noticed at the next renewal) must be told
 * apart from the slow one (the lease expiring, the renew deadline) on a loaded machine: the slow
 * path takes seconds longer than any margin a bound on the fast one needs.
 */
const LONG_TIMING = { leaseDurationMs: 10_000, renewDeadlineMs: 8_000, retryPeriodMs: 500 };

/** One candidate with a record of what happened to it. */
interface Candidate {
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  startedAt?: number;
  stoppedAt?: number;
  workSignal?: AbortSignal;
}

describe("LeaderElector on a real API server", { timeout: 120_000 }, () => {
  /** Every candidate started, stopped in after() whatever a test did: a running elector keeps the process alive. */
  const started: Candidate[] = [];
  const plane = withControlPlane({
    setUp: ({ client }) => client.create(namespaces, { metadata: { name: namespace } }),
    tearDown: async () => {
      for (const c of started) c.stop.abort();
      await Promise.all(started.map((c) => c.done));
    },
  });

  function candidate(
    lease: string,
    identity: string,
    extra: { releaseOnCancel?: boolean; metrics?: Metrics } & Partial<typeof TIMING> = {},
  ): Candidate {
    const stop = new AbortController();
    const c: Partial<Candidate> = { stop };
    c.elector = new LeaderElector({
      client: plane.client,
      namespace,
      name: lease,
      identity,
      ...TIMING,
      ...extra,
      onStartedLeading: (signal) => {
        c.startedAt = performance.now();
        c.workSignal = signal;
      },
      onStoppedLeading: () => {
        c.stoppedAt = performance.now();
      },
    });
    c.done = c.elector.run(stop.signal);
    started.push(c as Candidate);
    return c as Candidate;
  }

  async function leaseSpec(name: string): Promise<LeaseSpec> {
    return ((await plane.client.get(LEASE_RESOURCE, namespace, name))?.spec ?? {}) as LeaseSpec;
  }

  it("two candidates: exactly one leads; a released lease passes to the other within ~2 retry periods", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const a = candidate("released", "candidate-a", { metrics, ...LONG_TIMING });
    const b = candidate("released", "candidate-b", LONG_TIMING);
    await waitFor("a leader", () => a.elector.isLeader() || b.elector.isLeader(), { timeout: 15_000 });
    // Watch for a few renew periods: never two leaders, never a change of leader.
    const first = a.elector.isLeader() ? a : b;
    const second = first === a ? b : a;
    for (let i = 0; i < 30; i++) {
      assert.equal(Number(a.elector.isLeader()) + Number(b.elector.isLeader()), 1, "exactly one leader");
      assert.ok(first.elector.isLeader());
      await sleep(50);
    }
    assert.equal(second.startedAt, undefined);
    const spec = await leaseSpec("released");
    assert.equal(spec.holderIdentity, first.elector.identity);
    assert.equal(spec.leaseDurationSeconds, LONG_TIMING.leaseDurationMs / 1000);
    assert.equal(spec.leaseTransitions, 0);
    assert.match(spec.renewTime ?? "", /\.\d{6}Z$/);
    if (first === a) assert.match(await metrics.render(), /leader_election_master_status\{name="released"\} 1/);

    const stoppedAt = performance.now();
    first.stop.abort();
    await first.done;
    assert.equal(first.workSignal?.aborted, true, "the leader's work is stopped");
    assert.ok(first.stoppedAt !== undefined);
    assert.equal(first.elector.isLeader(), false);
    await waitFor("the other candidate to lead", () => second.startedAt !== undefined, { timeout: 5_000 });
    const handover = second.startedAt! - stoppedAt;
    console.log(`# handover after release: ${Math.round(handover)} ms (retry period ${TIMING.retryPeriodMs} ms)`);
    // Two retry periods (jittered by up to 1.5) and two round trips, with room for a loaded machine;
    // an expiry instead of the release would take at least the lease less a retry period (9.5 s).
    assert.ok(handover <= 5_000, `took ${handover} ms`);
    assert.ok(second.elector.isLeader());
    const after = await leaseSpec("released");
    assert.equal(after.holderIdentity, second.elector.identity);
    assert.equal(after.leaseTransitions, 1);
    if (first === a) assert.match(await metrics.render(), /leader_election_master_status\{name="released"\} 0/);

    second.stop.abort();
    await second.done;
    assert.equal((await leaseSpec("released")).holderIdentity, "", "released on shutdown");
  });

  it("a leader killed without release is replaced once its lease expires", async () => {
    const a = candidate("expired", "killed-a", { releaseOnCancel: false });
    await waitFor("a to lead", () => a.elector.isLeader(), { timeout: 15_000 });
    const b = candidate("expired", "survivor-b");
    await sleep(1_000);
    assert.equal(b.startedAt, undefined, "b waits while a renews");

    const before = await leaseSpec("expired");
    const killedAt = performance.now();
    a.stop.abort(); // stops renewing and does not release: as if the process died
    await a.done;
    assert.equal((await leaseSpec("expired")).holderIdentity, "killed-a", "not released");
    await waitFor("b to take over", () => b.startedAt !== undefined, { timeout: 10_000 });
    const takeover = b.startedAt! - killedAt;
    console.log(`# takeover after a kill: ${Math.round(takeover)} ms (lease ${TIMING.leaseDurationMs} ms)`);
    // Not before the lease (renewed at most one retry period before the kill) expired,
    // and soon after it did.
    assert.ok(takeover >= TIMING.leaseDurationMs - TIMING.retryPeriodMs - 200, `too early: ${takeover} ms`);
    // Lease, then up to two jittered retry periods and the round trips (margin for a loaded machine;
    // still short of twice the lease).
    assert.ok(takeover <= TIMING.leaseDurationMs + 2_500, `too late: ${takeover} ms`);
    const after = await leaseSpec("expired");
    assert.equal(after.holderIdentity, "survivor-b");
    assert.equal(after.leaseTransitions, (before.leaseTransitions ?? 0) + 1);
    b.stop.abort();
    await b.done;
  });

  it("a leader whose lease is taken over stops leading and run() resolves", async () => {
    const a = candidate("stolen", "victim-a", LONG_TIMING);
    await waitFor("a to lead", () => a.elector.isLeader(), { timeout: 15_000 });
    // Another writer takes the lease (with the read resourceVersion; a renewal of a's between the
    // read and the write answers 409, and the intruder reads again, as an elector would).
    for (;;) {
      const lease = (await plane.client.get(LEASE_RESOURCE, namespace, "stolen"))!;
      const now = microTime(new Date());
      try {
        await plane.client.replace(LEASE_RESOURCE, {
          ...lease,
          spec: { holderIdentity: "intruder", leaseDurationSeconds: 30, acquireTime: now, renewTime: now, leaseTransitions: 1 },
        });
        break;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    const stolenAt = performance.now();
    await a.done; // resolves without an abort: leadership lost
    const noticed = performance.now() - stolenAt;
    console.log(`# leader noticed the takeover after ${Math.round(noticed)} ms`);
    // At its next renewal (a retry period and a round trip), with room for a loaded machine; the
    // renew deadline (8 s) would end its leadership too, but only 7.5 s or more after the takeover.
    assert.ok(noticed <= 4_000, `noticed after ${noticed} ms`);
    assert.equal(a.workSignal?.aborted, true);
    assert.equal(a.elector.isLeader(), false);
    assert.equal((await leaseSpec("stolen")).holderIdentity, "intruder", "a lost lease is not released");
    a.stop.abort();
  });

  it("rejects timings where the lease could expire before the leader notices", () => {
    assert.throws(
      () =>
        new LeaderElector({
          client: plane.client,
          namespace,
          name: "x",
          leaseDurationMs: 2_000,
          renewDeadlineMs: 2_000,
          retryPeriodMs: 500,
          onStartedLeading() {},
        }),
      /leaseDurationMs must be greater than renewDeadlineMs/,
    );
    const e = new LeaderElector({ client: plane.client, namespace, name: "x", onStartedLeading() {} });
    assert.match(e.identity, /^.+_[0-9a-f]{8}$/);
  });
});
