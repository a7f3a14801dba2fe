/** What an operator shows its operators: /healthz, /readyz and Prometheus metrics under controller-runtime's names. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [GreetingOperator], healthPort: 0, healthHost: "127.0.0.1" });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${kit.runtime.healthPort}${path}`);
  return { status: res.status, text: await res.text() };
};

test("health and readiness probes answer once the caches are synced", async () => {
  assert.equal((await get("/healthz")).status, 200);
  const ready = await get("/readyz?verbose");
  assert.equal(ready.status, 200, ready.text);
  assert.match(ready.text, /informer:greetings/);
});

test("liveness names its checks (event loop, runnables); the staleness gauge is exported per informer", async () => {
  const live = await get("/healthz?verbose");
  assert.equal(live.status, 200, live.text);
  const report = JSON.parse(live.text) as { checks: Array<{ name: string; ok: boolean }> };
  assert.deepEqual(
    report.checks.map((c) => [c.name, c.ok]),
    [
      ["event-loop", true],
      ["runnables", true],
    ],
  );
  const { text } = await get("/metrics");
  const staleness = Number(
    text.match(/^tsoperator_informer_staleness_seconds\{resource="greetings\.samples\.tsoperator\.dev"\} (\S+)/m)?.[1],
  );
  assert.ok(staleness >= 0 && staleness < 30, `staleness ${staleness}\n${text}`);
});

test("a runnable whose loop died turns /healthz red (a restart is the cure) and /readyz red", async () => {
  const dying = await TestKit.start({
    controlPlane: cp,
    manifests: [crd],
    operators: [GreetingOperator],
    healthPort: 0,
    healthHost: "127.0.0.1",
    runnables: [{ name: "dies", needsLeaderElection: false, start: async () => Promise.reject(new Error("loop died")) }],
  });
  try {
    const base = `http://127.0.0.1:${dying.runtime.healthPort}`;
    const live = await fetch(`${base}/healthz?verbose`);
    const body = await live.text();
    assert.equal(live.status, 503, body);
    assert.match(body, /dies died: loop died/);
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
  } finally {
    await dying.close();
  }
});

test("metrics count reconciles, queue work, child writes and API requests", async () => {
  await kit.createParent({ apiVersion: "samples.tsoperator.dev/v1", kind: "Greeting", metadata: { name: "m" }, spec: { name: "Metrics" } });
  await kit.eventuallyExists("v1", "ConfigMap", "m-greeting");
  await kit.reconcile();
  const { status, text } = await get("/metrics");
  assert.equal(status, 200);
  const value = (re: RegExp) => Number(text.match(re)?.[1] ?? "NaN");
  assert.ok(value(/^controller_runtime_reconcile_total\{controller="greeting",result="success"\} (\d+)/m) >= 1, text);
  assert.equal(value(/^controller_runtime_max_concurrent_reconciles\{controller="greeting"\} (\d+)/m), 8);
  assert.ok(value(/^workqueue_adds_total\{name="greeting"\} (\d+)/m) >= 1);
  assert.equal(value(/^tsoperator_child_writes_total\{controller="greeting",kind="ConfigMap",verb="apply"\} (\d+)/m), 1);
  assert.equal(value(/^tsoperator_status_writes_total\{controller="greeting"\} (\d+)/m), 1);
  assert.match(text, /^rest_client_requests_total\{code="200",method="PATCH",host="127\.0\.0\.1:\d+"\} \d+/m);
  assert.match(text, /^controller_runtime_reconcile_time_seconds_bucket\{/m);
});
