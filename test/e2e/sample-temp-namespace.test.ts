import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { tempNamespaceOperator } from "../../samples/temp-namespace/temp-namespace.js";

const crd = fileURLToPath(new URL("../../../samples/temp-namespace/crd.yaml", import.meta.url));
let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start();
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [tempNamespaceOperator(cp.kubeConfig)] });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

test("a TempNamespace creates its Namespace and deletes itself after deleteAfterSeconds", async () => {
  await kit.createParent({
    apiVersion: "samples.tsoperator.dev/v1",
    kind: "TempNamespace",
    metadata: { name: "scratch-a" },
    spec: { deleteAfterSeconds: 3, labels: { team: "a" } },
  });
  const ns = await kit.eventuallyExists("v1", "Namespace", "scratch-a");
  assert.equal(ns.metadata?.labels?.team, "a");
  assert.equal(ns.metadata?.ownerReferences?.[0]?.kind, "TempNamespace");
  const parent = await kit.eventuallyMatches("samples.tsoperator.dev/v1", "TempNamespace", "scratch-a", {
    status: { namespace: "scratch-a", error: "" },
  });
  assert.match(String((parent.status as { expiresAt?: string }).expiresAt), /^\d{4}-/);
  // Expiry: the parent deletes itself; the garbage collector then deletes the Namespace.
  await kit.eventuallyDeleted("samples.tsoperator.dev/v1", "TempNamespace", "scratch-a", undefined, { timeout: 15_000 });
  // 60 s: the garbage collector, started with the control plane, syncs its graph first.
  await kit.eventually(
    async () => {
      const gone = await kit.get("v1", "Namespace", "scratch-a");
      assert.ok(!gone || gone.metadata?.deletionTimestamp, "namespace is gone or terminating");
    },
    { timeout: 60_000 },
  );
});

test("an invalid spec is reported in status.error, creates nothing, and is retried", async () => {
  await kit.createParent({
    apiVersion: "samples.tsoperator.dev/v1",
    kind: "TempNamespace",
    metadata: { name: "scratch-bad" },
    spec: { deleteAfterSeconds: -5 },
  });
  const parent = await kit.eventuallyExists("samples.tsoperator.dev/v1", "TempNamespace", "scratch-bad");
  await kit.eventually(async () => {
    const p = await kit.get("samples.tsoperator.dev/v1", "TempNamespace", "scratch-bad");
    assert.match(String((p?.status as { error?: string } | undefined)?.error), /deleteAfterSeconds must be a positive/);
  });
  assert.equal(await kit.get("v1", "Namespace", "scratch-bad"), undefined);
  await kit.eventually(() => assert.ok(kit.errorCount("scratch-bad") >= 2, `retried: ${kit.errorCount("scratch-bad")} failures`), {
    timeout: 10_000,
  });
  // OnDelete: an edit of the namespace is left alone; fixing the spec creates it.
  await kit.patch("samples.tsoperator.dev/v1", "TempNamespace", "scratch-bad", { spec: { deleteAfterSeconds: 3600 } });
  await kit.eventuallyExists("v1", "Namespace", "scratch-bad");
  assert.ok(parent.metadata?.uid);
});
