/**
 * The API server refuses a child (422 Invalid): the failure is reported (log, metric, Event,
 * errorCount), the valid siblings are still written, and other parents are unaffected.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { V1ConfigMap } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, type KubeObject, type OperatorDefinition } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, testCrd, testType } from "./fixtures/crds.js";

const operator: OperatorDefinition = {
  config: new OperatorConfig("api-errors", testType("Refused")).withChild(V1ConfigMap),
  handler: (req) => {
    const name = req.raw.metadata!.name!;
    const spec = (req.raw.spec ?? {}) as { bad?: boolean };
    const good: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-good` }, data: { ok: "yes" } };
    // An uppercase name passes our validation (it has a name) but not the API server's.
    const bad: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-Not_Valid` }, data: {} };
    return SyncResponse.of({ done: true }).withChildren(...(spec.bad ? [good, bad] : [good]));
  },
};

let cp: LocalControlPlane;
let kit: TestKit;
before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  kit = await TestKit.start({ controlPlane: cp, manifests: [testCrd("Refused")], operators: [operator] });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

test("a child the API server rejects is reported and retried; siblings and other parents go on", async () => {
  await kit.createParent({ apiVersion: E2E_API_VERSION, kind: "Refused", metadata: { name: "broken" }, spec: { bad: true } });
  await kit.createParent({ apiVersion: E2E_API_VERSION, kind: "Refused", metadata: { name: "fine" }, spec: {} });

  await kit.eventuallyExists("v1", "ConfigMap", "fine-good");
  await kit.eventuallyExists("v1", "ConfigMap", "broken-good"); // the valid sibling is written
  await kit.eventually(() => assert.ok(kit.errorCount("broken") >= 2, `retried (${kit.errorCount("broken")})`), { timeout: 15_000 });
  assert.equal(kit.errorCount("fine"), 0);
  const events = await kit.eventually(async () => {
    const found = (await kit.events("broken")).filter((e) => e.reason === "ChildWriteFailed");
    assert.ok(found.length > 0, "no ChildWriteFailed Event");
    return found;
  });
  assert.match(String(events[0]!.message), /ConfigMap .*broken-Not_Valid.*(Invalid|invalid)/);
  assert.equal(events[0]!.type, "Warning");
  // The status is still written: the handler succeeded; only a write failed.
  await kit.eventuallyMatches(E2E_API_VERSION, "Refused", "fine", { status: { done: true } });

  // Fixing the handler's output heals the parent.
  await kit.patch(E2E_API_VERSION, "Refused", "broken", { spec: { bad: false } });
  await kit.reconcile();
  const failures = kit.errorCount("broken");
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(kit.errorCount("broken"), failures, "still failing after the fix");
});
