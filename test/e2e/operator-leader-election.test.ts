/** Two replicas of an operator with leader election: one works, the other takes over when it stops. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { runOperators, type OperatorRuntime } from "../../src/index.js";
import { createLogger } from "../../src/observability/logger.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";
let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  // The kit's own operator is not under test here: it runs in another namespace.
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [GreetingOperator], namespace: "kit-only" });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

const replica = (identity: string) =>
  runOperators([GreetingOperator], {
    kubeConfig: cp.kubeConfig,
    namespace: "replicas",
    handleSignals: false,
    logger: createLogger({ level: "warn" }),
    leaderElection: {
      namespace: "default",
      name: "greeting-leader",
      identity,
      leaseDurationSeconds: 3,
      renewDeadlineSeconds: 2,
      retryPeriodSeconds: 0.5,
    },
  });

function reconciles(runtime: OperatorRuntime): Promise<number> {
  return runtime.metrics.render().then((text) => {
    let n = 0;
    for (const m of text.matchAll(/^controller_runtime_reconcile_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
    return n;
  });
}

test("only the leader reconciles; when it stops, the other replica takes over", async () => {
  await kit.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "replicas" } });
  const a = await replica("replica-a");
  const b = await replica("replica-b");
  try {
    await kit.eventually(() => assert.ok(a.state().leading !== b.state().leading, "exactly one leads"), { timeout: 10_000 });
    const [leader, follower] = a.state().leading ? [a, b] : [b, a];

    await kit.create({ apiVersion: API, kind: "Greeting", metadata: { name: "first", namespace: "replicas" }, spec: { name: "Ada" } });
    await kit.eventuallyExists("v1", "ConfigMap", "first-greeting", "replicas");
    // The child exists before the reconcile that wrote it has finished and been counted.
    await kit.eventually(async () => assert.ok((await reconciles(leader)) > 0, "the leader reconciled"));
    assert.equal(await reconciles(follower), 0, "the follower did not reconcile");

    await leader.stop(); // releases the lease
    await kit.eventually(() => assert.ok(follower.state().leading, "the follower leads"), { timeout: 10_000 });
    await kit.create({ apiVersion: API, kind: "Greeting", metadata: { name: "second", namespace: "replicas" }, spec: { name: "Grace" } });
    const cm = await kit.eventuallyExists("v1", "ConfigMap", "second-greeting", "replicas");
    assert.deepEqual(cm.data, { text: "Hello, Grace!" });
    await kit.eventually(async () => assert.ok((await reconciles(follower)) > 0, "the new leader reconciled"));
    // The kit's own operator is scoped to its namespace: only the replicas wrote what is asserted above.
    assert.equal(await reconciles(kit.runtime), 0, "the kit's operator reconciled objects outside its namespace");
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
