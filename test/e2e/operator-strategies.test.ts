/**
 * Child writes on a real API server: each update strategy (Apply, Replace, Recreate), prune of
 * children the response drops, identity by (apiVersion, kind, namespace, name), and the garbage
 * collector's cascade when the parent is deleted.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap, V1Pod, V1Secret } from "@kubernetes/client-node";
import {
  ChildConfig,
  OperatorConfig,
  SyncResponse,
  TRACKING_LABEL,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

type Spec = { labels?: Record<string, string>; data?: Record<string, string>; configMaps?: string[]; secrets?: string[] };
const specOf = (req: SyncRequest<KubeObject>) => (req.raw.spec ?? {}) as Spec;

/** One ConfigMap `<parent>-cm` with the spec's labels and data. */
function singleChild(req: SyncRequest<KubeObject>): SyncResponse {
  const spec = specOf(req);
  return SyncResponse.of().withChild({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${req.raw.metadata!.name}-cm`, labels: spec.labels ?? {} },
    data: spec.data ?? {},
  });
}

const applyOp: OperatorDefinition = {
  config: new OperatorConfig("s-apply", testType("SApply")).withChild(V1ConfigMap),
  handler: singleChild,
};
const replaceOp: OperatorDefinition = {
  config: new OperatorConfig("s-replace", testType("SReplace")).withChild(V1ConfigMap, ChildConfig.replace()),
  handler: singleChild,
};
const recreateOp: OperatorDefinition = {
  config: new OperatorConfig("s-recreate", testType("SRecreate")).withChild(V1ConfigMap, ChildConfig.recreate()),
  handler: singleChild,
};

/** PodRec → a Pod (Recreate) echoing spec.message: an unscheduled Pod is deleted at once. */
const podRecreateOp: OperatorDefinition = {
  config: new OperatorConfig("s-pod-recreate", testType("PodRec")).withChild(V1Pod, ChildConfig.recreate()),
  handler: (req: SyncRequest<KubeObject>) =>
    SyncResponse.of().withChild({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${req.raw.metadata!.name}-pod` },
      spec: {
        containers: [{ name: "main", image: "busybox:1.36", args: ["echo", String((req.raw.spec as { message?: string }).message)] }],
      },
    }),
};

/** Prune → a ConfigMap per name in spec.configMaps and a Secret per name in spec.secrets. */
const pruneOp: OperatorDefinition = {
  config: new OperatorConfig("s-prune", testType("Prune")).withChild(V1ConfigMap).withChild(V1Secret),
  handler: (req: SyncRequest<KubeObject>) => {
    const spec = specOf(req);
    const response = SyncResponse.of();
    for (const name of spec.configMaps ?? [])
      response.withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { kind: "cm" } });
    for (const name of spec.secrets ?? [])
      response.withChild({ apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: undefined, data: { kind: "c2VjcmV0" } });
    return response;
  },
};

describe("update strategies, prune and cascade", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: [testCrd("SApply"), testCrd("SReplace"), testCrd("SRecreate"), testCrd("PodRec"), testCrd("Prune")],
      operators: [applyOp, replaceOp, recreateOp, podRecreateOp, pruneOp],
      logger: logs.logger,
    });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("Apply: a spec change changes the child, a dropped label is removed, others' fields are kept", async () => {
    await kit.createParent(parentOf("SApply", "ap", { labels: { a: "1", b: "2" }, data: { k: "v1" } }));
    const first = await kit.eventuallyMatches("v1", "ConfigMap", "ap-cm", { metadata: { labels: { a: "1", b: "2" } }, data: { k: "v1" } });
    // Someone else's field (another field manager): server-side apply leaves it alone.
    await kit.patch("v1", "ConfigMap", "ap-cm", { metadata: { labels: { theirs: "x" } } });

    await kit.patch(E2E_API_VERSION, "SApply", "ap", { spec: { labels: { b: null }, data: { k: "v2" } } });
    const changed = await kit.eventuallyMatches("v1", "ConfigMap", "ap-cm", { data: { k: "v2" } });
    await kit.reconcile();
    const now = (await kit.get("v1", "ConfigMap", "ap-cm"))!;
    assert.equal(now.metadata?.uid, first.metadata?.uid, "Apply must update in place");
    assert.equal(now.metadata?.labels?.a, "1");
    assert.equal(now.metadata?.labels?.b, undefined, "the label dropped from the desired child is still there");
    assert.equal(now.metadata?.labels?.theirs, "x", "another manager's label was removed");
    assert.ok(changed);

    // Dropping the only remaining label of ours (labels map itself still has ours: the tracking label).
    await kit.patch(E2E_API_VERSION, "SApply", "ap", { spec: { labels: { a: null } } });
    await kit.eventually(async () => assert.equal((await kit.get("v1", "ConfigMap", "ap-cm"))?.metadata?.labels?.a, undefined));
  });

  it("Replace: a PUT of the whole object removes the fields the handler leaves out", async () => {
    await kit.createParent(parentOf("SReplace", "rp", { labels: { a: "1" }, data: { k: "v1" } }));
    const first = await kit.eventuallyMatches("v1", "ConfigMap", "rp-cm", { data: { k: "v1" } });
    await kit.patch("v1", "ConfigMap", "rp-cm", { metadata: { labels: { theirs: "x" } }, data: { extra: "added by hand" } });

    await kit.patch(E2E_API_VERSION, "SReplace", "rp", { spec: { data: { k: "v2" } } });
    await kit.eventuallyMatches("v1", "ConfigMap", "rp-cm", { data: { k: "v2" } });
    const now = (await kit.get("v1", "ConfigMap", "rp-cm"))!;
    assert.equal(now.metadata?.uid, first.metadata?.uid, "Replace must update in place");
    assert.deepEqual(now.data, { k: "v2" }, "fields the handler left out survived the PUT");
    assert.equal(now.metadata?.labels?.theirs, undefined);
    assert.equal(now.metadata?.labels?.[TRACKING_LABEL], first.metadata?.labels?.[TRACKING_LABEL], "the PUT lost the tracking label");
    assert.equal(now.metadata?.ownerReferences?.length, 1, "the PUT lost the ownerReference");
  });

  it("Replace and Recreate notice a label the handler no longer returns (desired-hash annotation)", async () => {
    await kit.createParent(parentOf("SReplace", "rp-drop", { labels: { a: "1", b: "2" }, data: { k: "v" } }));
    await kit.eventuallyMatches("v1", "ConfigMap", "rp-drop-cm", { metadata: { labels: { a: "1", b: "2" } } });
    await kit.patch(E2E_API_VERSION, "SReplace", "rp-drop", { spec: { labels: { a: null } } });
    await kit.eventually(async () => {
      const cm = await kit.get("v1", "ConfigMap", "rp-drop-cm");
      assert.equal(cm?.metadata?.labels?.a, undefined, "label a is still there");
      assert.equal(cm?.metadata?.labels?.b, "2");
    });
    await kit.createParent(parentOf("SRecreate", "rc-drop", { labels: { a: "1" }, data: { k: "v" } }));
    const first = await kit.eventuallyMatches("v1", "ConfigMap", "rc-drop-cm", { metadata: { labels: { a: "1" } } });
    await kit.patch(E2E_API_VERSION, "SRecreate", "rc-drop", { spec: { labels: null } });
    await kit.eventually(async () => {
      const cm = await kit.get("v1", "ConfigMap", "rc-drop-cm");
      assert.ok(cm && cm.metadata?.uid !== first.metadata?.uid, "not recreated yet");
      assert.equal(cm.metadata?.labels?.a, undefined);
    });
  });

  it("Recreate: a change deletes the child and creates it anew (new uid)", async () => {
    await kit.createParent(parentOf("SRecreate", "rc", { data: { k: "v1" } }));
    const first = await kit.eventuallyMatches("v1", "ConfigMap", "rc-cm", { data: { k: "v1" } });
    await kit.patch(E2E_API_VERSION, "SRecreate", "rc", { spec: { data: { k: "v2" } } });
    const second = await kit.eventuallyMatches("v1", "ConfigMap", "rc-cm", { data: { k: "v2" } });
    assert.notEqual(second.metadata?.uid, first.metadata?.uid, "Recreate updated in place");
    await kit.reconcile();
    assert.equal((await kit.get("v1", "ConfigMap", "rc-cm"))?.metadata?.uid, second.metadata?.uid, "recreated more than once");
  });

  it("Recreate: a change made by someone else (a webhook, a hand edit) does not recreate the child", async () => {
    await kit.createParent(parentOf("SRecreate", "rc-drift", { data: { k: "v1" } }));
    const first = await kit.eventuallyMatches("v1", "ConfigMap", "rc-drift-cm", { data: { k: "v1" } });
    await kit.patch("v1", "ConfigMap", "rc-drift-cm", { data: { k: "mutated" } });
    // Something else makes the parent sync again.
    await kit.patch(E2E_API_VERSION, "SRecreate", "rc-drift", { metadata: { labels: { touched: "yes" } } });
    await kit.reconcile();
    const now = await kit.get("v1", "ConfigMap", "rc-drift-cm");
    assert.equal(now?.metadata?.uid, first.metadata?.uid, "recreated although the handler wanted the same object");
    assert.deepEqual(now?.data, { k: "mutated" });
  });

  it("Recreate of Pods: every change ends with a Pod of the latest spec (the delete's answer races its watch event)", async () => {
    const names = Array.from({ length: 8 }, (_, i) => `pr${i}`);
    await Promise.all(names.map((n) => kit.createParent(parentOf("PodRec", n, { message: "m0" }))));
    await Promise.all(names.map((n) => kit.eventuallyExists("v1", "Pod", `${n}-pod`)));
    await kit.reconcile();
    for (let round = 1; round <= 3; round++) {
      await Promise.all(names.map((n) => kit.patch(E2E_API_VERSION, "PodRec", n, { spec: { message: `m${round}` } })));
      await Promise.all(
        names.map((n) =>
          kit.eventually(
            async () => {
              const pod = await kit.get("v1", "Pod", `${n}-pod`);
              const args = (pod?.spec as { containers: { args: string[] }[] } | undefined)?.containers[0]?.args;
              assert.deepEqual(args, ["echo", `m${round}`], `${n}-pod in round ${round}`);
            },
            { timeout: 30_000 }, // 8 Pods recreated at once: each a delete, its grace, and a create
          ),
        ),
      );
    }
    await Promise.all(names.map((n) => kit.deleteParent(E2E_API_VERSION, "PodRec", n)));
  });

  it("prune: a child the response no longer returns is deleted; the others are kept", async () => {
    await kit.createParent(parentOf("Prune", "pr", { configMaps: ["pr-a", "pr-b"] }));
    const a = await kit.eventuallyExists("v1", "ConfigMap", "pr-a");
    await kit.eventuallyExists("v1", "ConfigMap", "pr-b");
    await kit.patch(E2E_API_VERSION, "Prune", "pr", { spec: { configMaps: ["pr-a"] } });
    await kit.eventuallyDeleted("v1", "ConfigMap", "pr-b");
    await kit.reconcile();
    assert.equal((await kit.get("v1", "ConfigMap", "pr-a"))?.metadata?.uid, a.metadata?.uid);
  });

  it("identity is (apiVersion, kind, namespace, name): a ConfigMap and a Secret of the same name coexist", async () => {
    await kit.createParent(parentOf("Prune", "twins", { configMaps: ["same"], secrets: ["same"] }));
    const cm = await kit.eventuallyExists("v1", "ConfigMap", "same");
    await kit.eventuallyExists("v1", "Secret", "same");
    await kit.reconcile();
    assert.ok(await kit.get("v1", "ConfigMap", "same"));
    assert.ok(await kit.get("v1", "Secret", "same"));
    // Dropping the Secret removes only the Secret.
    await kit.patch(E2E_API_VERSION, "Prune", "twins", { spec: { secrets: [] } });
    await kit.eventuallyDeleted("v1", "Secret", "same");
    await kit.reconcile();
    assert.equal((await kit.get("v1", "ConfigMap", "same"))?.metadata?.uid, cm.metadata?.uid);
  });

  it("deleting the parent cascades to its children (garbage collector)", async () => {
    await kit.createParent(parentOf("Prune", "gc", { configMaps: ["gc-a"], secrets: ["gc-s"] }));
    await kit.eventuallyExists("v1", "ConfigMap", "gc-a");
    await kit.eventuallyExists("v1", "Secret", "gc-s");
    await kit.deleteParent(E2E_API_VERSION, "Prune", "gc");
    await kit.eventuallyDeleted(E2E_API_VERSION, "Prune", "gc");
    await kit.eventuallyDeleted("v1", "ConfigMap", "gc-a", undefined, { timeout: 60_000 }); // the GC may need its 30 s discovery resync for a new CRD
    await kit.eventuallyDeleted("v1", "Secret", "gc-s", undefined, { timeout: 60_000 }); // the GC may need its 30 s discovery resync for a new CRD
  });
});
