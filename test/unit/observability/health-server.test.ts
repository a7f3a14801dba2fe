import { test } from "node:test";
import assert from "node:assert/strict";
import { HealthServer } from "../../../src/observability/health-server.js";
import { Metrics } from "../../../src/observability/metrics.js";

test("healthz, readyz (flipping with its checks) and metrics on an ephemeral port", async (t) => {
  const metrics = new Metrics({ defaultMetrics: false });
  metrics.statusWrite("echo");
  const server = new HealthServer({ metrics });
  let synced = false;
  server.addReadinessCheck("informers", () => ({ ok: synced, detail: synced ? "2/2 synced" : "1/2 synced" }));
  server.addReadinessCheck("watches", async () => ({ ok: true }));
  const port = await server.start(0, "127.0.0.1");
  t.after(() => server.stop());
  assert.ok(port > 0);
  const base = `http://127.0.0.1:${port}`;

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok\n");

  let ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /failed: informers/);

  const verbose = await fetch(`${base}/readyz?verbose`);
  assert.equal(verbose.status, 503);
  assert.equal(verbose.headers.get("content-type"), "application/json");
  assert.deepEqual(await verbose.json(), {
    status: "failed",
    checks: [
      { name: "informers", ok: false, detail: "1/2 synced" },
      { name: "watches", ok: true },
    ],
  });

  synced = true;
  ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(await ready.text(), "ok\n");

  server.addReadinessCheck("broken", () => {
    throw new Error("lost the watch");
  });
  const broken = await fetch(`${base}/readyz?verbose`);
  assert.equal(broken.status, 503);
  const report = (await broken.json()) as { checks: Array<{ name: string; detail?: string }> };
  assert.equal(report.checks.find((c) => c.name === "broken")?.detail, "check threw: lost the watch");
  server.removeReadinessCheck("broken");
  assert.equal((await fetch(`${base}/readyz`)).status, 200);

  const scraped = await fetch(`${base}/metrics`);
  assert.equal(scraped.status, 200);
  assert.match(scraped.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.match(await scraped.text(), /^tsoperator_status_writes_total\{controller="echo"\} 1$/m);

  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/healthz`, { method: "POST" })).status, 405);
});

test("stop closes the port and start can be called again", async () => {
  const server = new HealthServer();
  const port = await server.start(0, "127.0.0.1");
  await server.stop();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  const again = await server.start(0, "127.0.0.1");
  assert.equal((await fetch(`http://127.0.0.1:${again}/readyz`)).status, 200); // no checks: ready
  assert.equal((await fetch(`http://127.0.0.1:${again}/metrics`)).status, 404); // no registry given
  await server.stop();
  await server.stop(); // idempotent
});

test("healthz follows the liveness checks only (readiness red does not make it red); verbose shows each", async (t) => {
  const server = new HealthServer();
  let blocked = false;
  server.addReadinessCheck("informers", () => ({ ok: false, detail: "stale" }));
  server.addLivenessCheck("event-loop", () => ({ ok: !blocked, detail: blocked ? "event loop was blocked for 12000 ms" : "responsive" }));
  const port = await server.start(0, "127.0.0.1");
  t.after(() => server.stop());
  const base = `http://127.0.0.1:${port}`;
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  assert.equal((await fetch(`${base}/healthz`)).status, 200, "an unready process is no reason to restart it");
  blocked = true;
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 503);
  assert.equal(await health.text(), "failed: event-loop\n");
  assert.equal((await fetch(`${base}/livez`)).status, 503);
  const verbose = await fetch(`${base}/healthz?verbose`);
  assert.deepEqual(await verbose.json(), {
    status: "failed",
    checks: [{ name: "event-loop", ok: false, detail: "event loop was blocked for 12000 ms" }],
  });
});
