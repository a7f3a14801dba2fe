/**
 * TestKit's own promises: its namespace scopes the operators (an object elsewhere is not theirs),
 * and `reconcile()` asserts success like roperator's `reconcile_and_assert_success` (with an opt-out).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { V1ConfigMap } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, type OperatorDefinition } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, testCrd, testType } from "./fixtures/crds.js";

const operator: OperatorDefinition = {
  config: new OperatorConfig("kit-check", testType("KitCheck"))
    .withChild(V1ConfigMap)
    .withBackoff({ initialDelayMs: 200, multiplier: 2, jitter: 0, maxDelayMs: 2_000 }),
  handler: (req) => {
    const name = req.raw.metadata!.name!;
    if ((req.raw.spec as { fail?: boolean } | undefined)?.fail) throw new Error("asked to fail");
    const child = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-cm` }, data: { ok: "yes" } };
    return SyncResponse.of({ done: true }).withChild(child);
  },
};

let cp: LocalControlPlane;
let kit: TestKit;
before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  kit = await TestKit.start({ controlPlane: cp, manifests: [testCrd("KitCheck")], operators: [operator] });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

test("the kit's namespace scopes the operators: a parent in another namespace is not reconciled", async () => {
  await kit.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "elsewhere" } });
  await kit.create({ apiVersion: E2E_API_VERSION, kind: "KitCheck", metadata: { name: "outside", namespace: "elsewhere" }, spec: {} });
  await kit.createParent({ apiVersion: E2E_API_VERSION, kind: "KitCheck", metadata: { name: "inside" }, spec: {} });
  await kit.eventuallyExists("v1", "ConfigMap", "inside-cm");
  await kit.reconcile();
  assert.equal(await kit.get("v1", "ConfigMap", "outside-cm", "elsewhere"), undefined, "the operator reached outside the kit's namespace");
});

test("reconcile() fails when a sync failed, passes with allowFailures, and passes again once the parent heals", async () => {
  await kit.createParent({ apiVersion: E2E_API_VERSION, kind: "KitCheck", metadata: { name: "broken" }, spec: { fail: true } });
  await kit.eventually(() => assert.ok(kit.errorCount("broken") >= 1));
  await assert.rejects(kit.reconcile(), /kit-check: the latest sync of .*broken failed/);
  await kit.reconcile({ allowFailures: true });
  await kit.patch(E2E_API_VERSION, "KitCheck", "broken", { spec: { fail: false } });
  await kit.eventuallyExists("v1", "ConfigMap", "broken-cm");
  await kit.reconcile();
});
