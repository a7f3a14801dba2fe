/**
 * Faults the runtime must ride out on a real control plane: an API server that stops answering
 * mid-reconcile, and an operator process restarted mid-way.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { runOperators } from "../../src/index.js";
import { createLogger } from "../../src/observability/logger.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";
let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [GreetingOperator] });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

const greeting = (name: string, person: string) => ({ apiVersion: API, kind: "Greeting", metadata: { name }, spec: { name: person } });

async function converged(names: string[]): Promise<void> {
  await kit.eventually(
    async () => {
      const maps = await kit.list("v1", "ConfigMap");
      for (const name of names) {
        assert.ok(
          maps.some((m) => m.metadata?.name === `${name}-greeting`),
          `${name}-greeting exists`,
        );
      }
    },
    { timeout: 60_000, interval: 200 },
  );
}

test("an API server that freezes for 4 s mid-reconcile: every parent converges afterwards, the process lives on", async () => {
  const names = Array.from({ length: 30 }, (_, i) => `freeze-${i}`);
  await Promise.all(names.slice(0, 15).map((n) => kit.createParent(greeting(n, n))));
  // Freeze etcd and the apiserver while syncs and watches are in flight.
  process.kill(cp.pids.apiServer, "SIGSTOP");
  process.kill(cp.pids.etcd, "SIGSTOP");
  await new Promise((r) => setTimeout(r, 4_000));
  process.kill(cp.pids.etcd, "SIGCONT");
  process.kill(cp.pids.apiServer, "SIGCONT");
  await Promise.all(names.slice(15).map((n) => kit.createParent(greeting(n, n))));
  await converged(names);
  const status = await kit.eventuallyMatches(API, "Greeting", "freeze-29", { status: { text: "Hello, freeze-29!" } });
  assert.equal(status.metadata?.name, "freeze-29");
  assert.ok(kit.runtime.state().running, "the runtime is still running");
});

test("a restarted operator picks up where the old one stopped and rewrites nothing that is in line", async () => {
  const names = Array.from({ length: 10 }, (_, i) => `restart-${i}`);
  await Promise.all(names.map((n) => kit.createParent(greeting(n, n))));
  await converged(names);
  await kit.reconcile();

  // A second process (another runtime with its own caches and metrics) syncs every parent again.
  const second = await runOperators([GreetingOperator], {
    kubeConfig: cp.kubeConfig,
    handleSignals: false,
    logger: createLogger({ level: "warn" }),
  });
  try {
    await second.idle();
    await new Promise((r) => setTimeout(r, 500));
    await second.idle();
    const text = await second.metrics.render();
    const reconciles = sum(text, /^controller_runtime_reconcile_total\{[^}]*controller="greeting"[^}]*\} (\d+)/gm);
    const writes =
      sum(text, /^tsoperator_child_writes_total\{[^}]*\} (\d+)/gm) + sum(text, /^tsoperator_status_writes_total\{[^}]*\} (\d+)/gm);
    assert.ok(reconciles >= names.length, `the new runtime synced every parent (${reconciles} reconciles)`);
    assert.equal(writes, 0, "no child or status was written: all were already in line");
  } finally {
    await second.stop();
  }
});

function sum(text: string, re: RegExp): number {
  let total = 0;
  for (const m of text.matchAll(re)) total += Number(m[1]);
  return total;
}
