import { test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { Metrics } from "../../../src/observability/metrics.js";

/** The value of one sample line `name{labels} value` in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) {
      return Number(m[3]);
    }
  }
  return undefined;
}

test("controller metrics use controller-runtime's names and labels", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.controllerStarted("echo", 4);
  metrics.reconcileDone("echo", "success", 0.02);
  metrics.reconcileDone("echo", "error", 0.5);
  metrics.reconcileDone("echo", "requeue_after", 0.01);
  metrics.terminalError("echo");
  metrics.activeWorkers("echo", 1);
  metrics.activeWorkers("echo", 1);
  metrics.activeWorkers("echo", -1);
  const text = await metrics.render();
  assert.equal(sample(text, "controller_runtime_reconcile_total", { controller: "echo", result: "success" }), 1);
  assert.equal(sample(text, "controller_runtime_reconcile_total", { controller: "echo", result: "error" }), 1);
  assert.equal(sample(text, "controller_runtime_reconcile_total", { controller: "echo", result: "requeue" }), 0);
  assert.equal(sample(text, "controller_runtime_reconcile_total", { controller: "echo", result: "requeue_after" }), 1);
  assert.equal(sample(text, "controller_runtime_reconcile_errors_total", { controller: "echo" }), 1);
  assert.equal(sample(text, "controller_runtime_terminal_reconcile_errors_total", { controller: "echo" }), 1);
  assert.equal(sample(text, "controller_runtime_reconcile_time_seconds_count", { controller: "echo" }), 3);
  assert.equal(sample(text, "controller_runtime_reconcile_time_seconds_bucket", { controller: "echo", le: "0.025" }), 2);
  assert.equal(sample(text, "controller_runtime_max_concurrent_reconciles", { controller: "echo" }), 4);
  assert.equal(sample(text, "controller_runtime_active_workers", { controller: "echo" }), 1);
  assert.match(text, /# TYPE controller_runtime_reconcile_time_seconds histogram/);
});

test("tsoperator's own series and leader status", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.childWrite("echo", "Pod", "create");
  metrics.childWrite("echo", "Pod", "create");
  metrics.childWrite("echo", "Service", "apply");
  metrics.statusWrite("echo");
  metrics.handlerError("echo", "timeout");
  metrics.watchRestart("v1/pods", "gone");
  metrics.informerObjects("v1/pods", 42);
  metrics.leading("echo-lock", true);
  const text = await metrics.render();
  assert.equal(sample(text, "tsoperator_child_writes_total", { controller: "echo", kind: "Pod", verb: "create" }), 2);
  assert.equal(sample(text, "tsoperator_child_writes_total", { controller: "echo", kind: "Service", verb: "apply" }), 1);
  assert.equal(sample(text, "tsoperator_status_writes_total", { controller: "echo" }), 1);
  assert.equal(sample(text, "tsoperator_handler_errors_total", { controller: "echo", reason: "timeout" }), 1);
  assert.equal(sample(text, "tsoperator_watch_restarts_total", { resource: "v1/pods", reason: "gone" }), 1);
  assert.equal(sample(text, "tsoperator_informer_objects", { resource: "v1/pods" }), 42);
  assert.equal(sample(text, "leader_election_master_status", { name: "echo-lock" }), 1);
  metrics.leading("echo-lock", false);
  assert.equal(sample(await metrics.render(), "leader_election_master_status", { name: "echo-lock" }), 0);
});

test("work queue hooks feed the workqueue_* series", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const q = metrics.queueHooks("echo");
  q.add();
  q.add();
  q.depth(2);
  q.start("default/a", 0.001);
  q.depth(1);
  q.retry();
  await new Promise((r) => setTimeout(r, 20));
  let text = await metrics.render();
  assert.equal(sample(text, "workqueue_adds_total", { name: "echo" }), 2);
  assert.equal(sample(text, "workqueue_depth", { name: "echo" }), 1);
  assert.equal(sample(text, "workqueue_retries_total", { name: "echo" }), 1);
  assert.equal(sample(text, "workqueue_queue_duration_seconds_count", { name: "echo" }), 1);
  assert.ok(sample(text, "workqueue_unfinished_work_seconds", { name: "echo" })! >= 0.015);
  assert.ok(sample(text, "workqueue_longest_running_processor_seconds", { name: "echo" })! >= 0.015);
  q.done("default/a");
  text = await metrics.render();
  assert.equal(sample(text, "workqueue_work_duration_seconds_count", { name: "echo" }), 1);
  assert.equal(sample(text, "workqueue_unfinished_work_seconds", { name: "echo" }), 0);
  assert.equal(sample(text, "workqueue_longest_running_processor_seconds", { name: "echo" }), 0);
  assert.match(text, /workqueue_queue_duration_seconds_bucket\{le="1e-8",name="echo"\}/);
});

test("rest client hook counts by code/method/host and times non-watch requests", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  const hook = metrics.restClientHook();
  const base = { path: "/api/v1/pods", resource: "/api/v1/pods", host: "127.0.0.1:6443", watch: false };
  hook({ ...base, method: "GET", code: 200, durationMs: 12 });
  hook({ ...base, method: "GET", code: 200, durationMs: 30 });
  hook({ ...base, method: "post", code: 409, durationMs: 5 });
  hook({ ...base, method: "GET", code: 0, durationMs: 1 });
  hook({ ...base, method: "GET", code: 200, durationMs: 300_000, watch: true });
  const text = await metrics.render();
  assert.equal(sample(text, "rest_client_requests_total", { code: "200", method: "GET", host: "127.0.0.1:6443" }), 3);
  assert.equal(sample(text, "rest_client_requests_total", { code: "409", method: "POST", host: "127.0.0.1:6443" }), 1);
  assert.equal(sample(text, "rest_client_requests_total", { code: "<error>", method: "GET", host: "127.0.0.1:6443" }), 1);
  assert.equal(sample(text, "rest_client_request_duration_seconds_count", { verb: "GET", host: "127.0.0.1:6443" }), 3);
});

test("a user registry is used, and shared by two Metrics without a duplicate-name error", async () => {
  const registry = new Registry();
  const a = new Metrics({ registry, defaultMetrics: false });
  const b = new Metrics({ registry, defaultMetrics: false });
  a.statusWrite("one");
  b.statusWrite("two");
  const text = await registry.metrics();
  assert.equal(sample(text, "tsoperator_status_writes_total", { controller: "one" }), 1);
  assert.equal(sample(text, "tsoperator_status_writes_total", { controller: "two" }), 1);
});

test("default process metrics are on unless disabled, per registry", async () => {
  const on = await new Metrics().render();
  assert.match(on, /^process_cpu_seconds_total /m);
  const off = await new Metrics({ defaultMetrics: false }).render();
  assert.doesNotMatch(off, /process_cpu_seconds_total/);
});

test("informer staleness (seconds since the last sign of life, read at scrape time; the stalest informer of a resource) and probes", async () => {
  const metrics = new Metrics({ defaultMetrics: false });
  let quietFor = 3;
  metrics.informerStaleness("configmaps", () => quietFor);
  metrics.informerStaleness("configmaps", () => 1);
  metrics.informerStaleness("pods", () => 0.5);
  metrics.watchProbe("configmaps", "quiet");
  metrics.watchProbe("configmaps", "failed");
  metrics.watchProbe("configmaps", "failed");
  metrics.watchRestart("configmaps", "stale");
  let text = await metrics.render();
  assert.equal(sample(text, "tsoperator_informer_staleness_seconds", { resource: "configmaps" }), 3);
  assert.equal(sample(text, "tsoperator_informer_staleness_seconds", { resource: "pods" }), 0.5);
  assert.equal(sample(text, "tsoperator_watch_probes_total", { resource: "configmaps", result: "quiet" }), 1);
  assert.equal(sample(text, "tsoperator_watch_probes_total", { resource: "configmaps", result: "failed" }), 2);
  assert.equal(sample(text, "tsoperator_watch_restarts_total", { resource: "configmaps", reason: "stale" }), 1);
  quietFor = 27;
  text = await metrics.render();
  assert.equal(sample(text, "tsoperator_informer_staleness_seconds", { resource: "configmaps" }), 27, "computed when scraped");
});
