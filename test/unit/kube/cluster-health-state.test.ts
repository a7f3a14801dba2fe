import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_CLUSTER_HEALTH_OPTIONS,
  initialClusterHealth,
  outcomeOfResponse,
  probeDelay,
  stepClusterHealth,
  type ClusterHealthInput,
  type ClusterHealthState,
} from "../../../src/kube/cluster-health-state.js";
import { ClusterHealth } from "../../../src/kube/cluster-health.js";

const opts = DEFAULT_CLUSTER_HEALTH_OPTIONS;
function run(inputs: ClusterHealthInput["type"][], start: ClusterHealthState = initialClusterHealth(0)) {
  let state = start;
  const steps = inputs.map((type, i) => {
    const step = stepClusterHealth(state, { type } as ClusterHealthInput, i + 1, opts);
    state = step.state;
    return step;
  });
  return { state, steps };
}

describe("cluster health state machine", () => {
  it("stays healthy on successes, with no probe and no wake", () => {
    const { state, steps } = run(["requestSucceeded", "requestSucceeded"]);
    assert.equal(state.kind, "healthy");
    assert.ok(steps.every((s) => !s.wake && s.probeAfterMs === undefined));
  });

  it("a failure makes it degraded and schedules a quick probe", () => {
    const { state, steps } = run(["requestFailed"]);
    assert.equal(state.kind, "degraded");
    assert.equal(steps[0]!.probeAfterMs, opts.probeInitialMs);
    assert.equal(steps[0]!.wake, false);
  });

  it("goes down after downAfterFailures failures in a row without scheduling a second probe", () => {
    const { state, steps } = run(["requestFailed", "requestFailed", "requestFailed"]);
    assert.equal(state.kind, "down");
    assert.equal(steps[1]!.probeAfterMs, undefined);
    assert.equal(steps[2]!.probeAfterMs, undefined);
  });

  it("a failed probe makes it down and backs the probe off, capped at 1 s", () => {
    const { state, steps } = run(["requestFailed", "probeFailed", "probeFailed", "probeFailed", "probeFailed", "probeFailed"]);
    assert.equal(state.kind, "down");
    assert.deepEqual(
      steps.slice(1).map((s) => s.probeAfterMs),
      [200, 400, 800, 1000, 1000],
    );
    assert.ok(steps.every((s) => (s.probeAfterMs ?? 0) <= 1000));
  });

  it("the first success after down wakes once, then healthy again with recoveredAt", () => {
    for (const success of ["probeSucceeded", "requestSucceeded"] as const) {
      const { state, steps } = run(["requestFailed", "probeFailed", success, "requestSucceeded"]);
      assert.equal(state.kind, "healthy");
      assert.equal(steps[2]!.wake, true, success);
      assert.equal(steps[3]!.wake, false);
      assert.equal(state.recoveredAt, 3);
      assert.equal(state.failures, 0);
      assert.equal(state.probeFailures, 0);
    }
  });

  it("a success while degraded wakes too (a blip)", () => {
    const { steps } = run(["requestFailed", "requestSucceeded"]);
    assert.equal(steps[1]!.wake, true);
  });

  it("a late failed probe on a healthy cluster changes nothing", () => {
    const start = initialClusterHealth(0);
    const step = stepClusterHealth(start, { type: "probeFailed" }, 5, opts);
    assert.equal(step.state, start);
    assert.equal(step.probeAfterMs, undefined);
  });

  it("probeDelay doubles from the initial delay", () => {
    assert.equal(probeDelay(opts, 0), 100);
    assert.equal(probeDelay(opts, 2), 400);
    assert.equal(probeDelay(opts, 50), 1000);
  });

  it("outcomeOfResponse: no answer and 502/503/504 fail; 500, 401/403/429 and aborts say nothing; other answers succeed", () => {
    assert.equal(outcomeOfResponse(0, false), "failed");
    assert.equal(outcomeOfResponse(503, false), "failed");
    assert.equal(outcomeOfResponse(502, false), "failed");
    assert.equal(outcomeOfResponse(504, false), "failed");
    // A 500 is as often about the request (a typed patch the server cannot build, a webhook) as about the server.
    assert.equal(outcomeOfResponse(500, false), undefined);
    assert.equal(outcomeOfResponse(0, true), undefined);
    assert.equal(outcomeOfResponse(403, false), undefined);
    assert.equal(outcomeOfResponse(401, false), undefined);
    assert.equal(outcomeOfResponse(429, false), undefined);
    assert.equal(outcomeOfResponse(200, false), "succeeded");
    assert.equal(outcomeOfResponse(404, false), "succeeded");
    assert.equal(outcomeOfResponse(410, false), "succeeded");
  });
});

describe("ClusterHealth (timers)", () => {
  it("a failed probe keeps loops waiting; the first good probe wakes every waiting loop within the jitter", async () => {
    let serverUp = false;
    let probes = 0;
    const health = new ClusterHealth(
      async () => {
        probes++;
        return serverUp;
      },
      { probeInitialMs: 10, probeMaxMs: 20, wakeJitterMs: 30 },
    );
    health.record("failed");
    const started = Date.now();
    const waits = [health.waitForRetry(60_000), health.waitForRetry(60_000), health.waitForRetry(60_000)];
    for (let i = 0; i < 200 && probes < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(health.kind, "down");
    assert.ok(probes >= 2, `probes: ${probes}`);
    serverUp = true;
    assert.deepEqual(await Promise.all(waits), ["woken", "woken", "woken"]);
    assert.ok(Date.now() - started < 30_000, "woken, not at the end of the 60 s wait");
    assert.equal(health.kind, "healthy");
    health.close();
  });

  it("waitForRetry elapses on its own while healthy, and resolves aborted on abort", async () => {
    const health = new ClusterHealth(async () => true);
    assert.equal(await health.waitForRetry(5), "elapsed");
    const ac = new AbortController();
    const wait = health.waitForRetry(60_000, ac.signal);
    ac.abort();
    assert.equal(await wait, "aborted");
    health.close();
  });
});
