/**
 * The sync outcome on the object itself (a `Synced` condition in `status.conditions`), on a real
 * kube-apiserver with the CRD `@CustomResource` generates: a throwing handler shows `False` with
 * its message and keeps `status.observedGeneration` where it was; a fixed handler shows `True`;
 * retries failing the same way and no-op syncs write nothing (the API server's audit log, the
 * operator running as its own user).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap, type V1ObjectMeta } from "@kubernetes/client-node";
import {
  Finalize,
  KubernetesType,
  Operator,
  OperatorConfig,
  Sync,
  SyncResponse,
  defineOperator,
  failable,
  type SyncRequest,
} from "../../src/api/index.js";
import type { KubeObject } from "../../src/core/kube-object.js";
import { CustomResource, crdFor, customResourceOf } from "../../src/manifests/index.js";
import { K8sType } from "../../src/core/k8s-type.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { testCrd } from "./fixtures/crds.js";

const API = "conditions.tsoperator.dev/v1";

@CustomResource({
  schema: {
    spec: { type: "object", properties: { text: { type: "string" } } },
    // Only the operator's own field: conditions and observedGeneration come from the generated CRD.
    status: { type: "object", properties: { text: { type: "string" } } },
  },
})
@KubernetesType({ apiVersion: API, kind: "Widget", plural: "widgets", namespaced: true })
class Widget {
  metadata!: V1ObjectMeta;
  spec!: { text: string };
}

/** What the handler does, switched by the test. */
let failWith: string | undefined;
let calls = 0;

@Operator({ name: "widget", parent: Widget, children: [{ type: V1ConfigMap }] })
class WidgetOperator {
  @Sync()
  sync(req: SyncRequest<Widget>): SyncResponse {
    calls++;
    if (failWith !== undefined) throw new Error(failWith);
    const name = req.parent.metadata.name!;
    return SyncResponse.of({ text: req.parent.spec.text }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name },
      data: { text: req.parent.spec.text },
    });
  }
}

@CustomResource({ schema: { spec: { type: "object", properties: { text: { type: "string" } } } } })
@KubernetesType({ apiVersion: API, kind: "Sprocket", plural: "sprockets", namespaced: true })
class Sprocket {
  metadata!: V1ObjectMeta;
  spec!: { text: string };
}

/** What the finalize handler does, switched by the test. */
let finalizeFailsWith: string | undefined;
let finalizeCalls = 0;

@Operator({ name: "sprocket", parent: Sprocket })
class SprocketOperator {
  @Sync()
  sync(): SyncResponse {
    return SyncResponse.of({});
  }

  @Finalize()
  finalize(): void {
    finalizeCalls++;
    if (finalizeFailsWith !== undefined) throw new Error(finalizeFailsWith);
  }
}

@CustomResource({ schema: { spec: { type: "object", properties: { text: { type: "string" } } } } })
@KubernetesType({ apiVersion: API, kind: "Cog", plural: "cogs", namespaced: true })
class Cog {
  metadata!: V1ObjectMeta;
  spec!: { text: string };
}

/** A failable handler whose finalize step fails (returns an Error) while `cogFinalizeFails` is set. */
let cogFinalizeFails: string | undefined;
const cogOperator = defineOperator(
  new OperatorConfig("cog", Cog),
  failable<Cog, void>(
    {
      syncChildren: () => [],
      finalize: () => (cogFinalizeFails !== undefined ? new Error(cogFinalizeFails) : undefined),
      determineStatus: (_req, outcome) => ({ phase: outcome.kind }),
    },
    { backoff: { initialDelayMs: 200, maxDelayMs: 1_000 } },
  ),
);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}
interface WidgetStatus {
  text?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

/**
 * Another project's CRD (or one generated before conditions were) whose status schema has no
 * `conditions`: the API server refuses an apply carrying it (500 "field not declared in schema").
 * The operator asked for the condition anyway (`statusCondition`).
 */
const PRUNING_CRD = testCrd("Gadget", {
  group: "conditions.tsoperator.dev",
  status: { type: "object", properties: { text: { type: "string" }, observedGeneration: { type: "integer" } } },
});

const gadgetOperator = defineOperator(
  new OperatorConfig("gadget", K8sType.of(API, "Gadget", { plural: "gadgets", namespaced: true })).withStatusCondition("Synced"),
  (req: SyncRequest<KubeObject>) => SyncResponse.of({ text: String((req.parent.spec as { text?: string } | undefined)?.text) }),
);

let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false, audit: true, users: [{ name: "operator" }] });
  // The CRD `tsoperator manifests` would generate from the class.
  const crd = crdFor([{ type: K8sType.of(API, "Widget", { plural: "widgets", namespaced: true }), options: customResourceOf(Widget)! }]);
  const cogCrd = crdFor([{ type: K8sType.of(API, "Cog", { plural: "cogs", namespaced: true }), options: customResourceOf(Cog)! }]);
  const sprocketCrd = crdFor([
    { type: K8sType.of(API, "Sprocket", { plural: "sprockets", namespaced: true }), options: customResourceOf(Sprocket)! },
  ]);
  kit = await TestKit.start({
    controlPlane: cp,
    manifests: [crd, sprocketCrd, cogCrd, PRUNING_CRD],
    operators: [WidgetOperator, SprocketOperator, gadgetOperator, cogOperator],
    operatorUser: "operator",
  });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

async function statusOf(name: string): Promise<{ status: WidgetStatus; generation: number | undefined }> {
  const obj = await kit.get(API, "Widget", name);
  return { status: (obj?.status ?? {}) as WidgetStatus, generation: obj?.metadata?.generation };
}

function synced(status: WidgetStatus): Condition | undefined {
  return status.conditions?.find((c) => c.type === "Synced");
}

async function operatorWritesTo(name: string, since: number, resource = "widgets") {
  return (await cp.auditWrites(since)).filter((w) => w.user === "operator" && w.resource === resource && w.name === name);
}

describe("status conditions: the last sync's outcome on the parent", { timeout: 90_000 }, () => {
  it("a throwing handler shows Synced=False with its message; fixed, Synced=True; same failures and no-op syncs write nothing", async () => {
    failWith = "database unreachable: 10.0.0.1:5432";
    await kit.createParent({ apiVersion: API, kind: "Widget", metadata: { name: "w" }, spec: { text: "one" } });

    const failed = await kit.eventually(async () => {
      const { status } = await statusOf("w");
      const condition = synced(status);
      assert.ok(condition, `no Synced condition in status ${JSON.stringify(status)}`);
      assert.equal(condition.status, "False");
      return { status, condition };
    });
    assert.equal(failed.condition.reason, "SyncFailed");
    assert.match(failed.condition.message ?? "", /database unreachable: 10\.0\.0\.1:5432/);
    assert.equal(failed.condition.observedGeneration, 1, "the condition says which generation failed");
    assert.equal(failed.status.observedGeneration, undefined, "a failed first sync claims no generation");
    assert.ok(failed.condition.lastTransitionTime, "lastTransitionTime is set");

    // Retries failing the same way rewrite nothing.
    const callsAtFailure = calls;
    const sinceFailure = Date.now();
    await kit.eventually(() => assert.ok(calls >= callsAtFailure + 2, "two more failed retries"), { timeout: 30_000 });
    const retryWrites = (await operatorWritesTo("w", sinceFailure)).filter((w) => w.subresource === "status");
    assert.deepEqual(retryWrites, [], "a retry failing with the same message writes no status");

    // Fixed: the next retry succeeds.
    failWith = undefined;
    const ok = await kit.eventually(
      async () => {
        const { status } = await statusOf("w");
        const condition = synced(status);
        assert.equal(condition?.status, "True", `status ${JSON.stringify(status)}`);
        return { status, condition: condition! };
      },
      { timeout: 30_000 },
    );
    assert.equal(ok.condition.reason, "SyncSucceeded");
    assert.equal(ok.condition.observedGeneration, 1);
    assert.equal(ok.status.observedGeneration, 1, "success claims the generation");
    assert.equal(ok.status.text, "one", "the handler's own status is kept beside the condition");
    await kit.reconcile();

    // A no-op sync (a label change: the handler runs, nothing differs) writes nothing.
    const callsBefore = calls;
    const sinceNoop = Date.now();
    await kit.patch(API, "Widget", "w", { metadata: { labels: { touched: "yes" } } });
    await kit.eventually(() => assert.ok(calls > callsBefore, "the handler ran for the label change"));
    await kit.reconcile();
    assert.deepEqual(await operatorWritesTo("w", sinceNoop), [], "a no-op sync writes nothing");
    const unchanged = synced((await statusOf("w")).status);
    assert.equal(unchanged?.lastTransitionTime, ok.condition.lastTransitionTime, "no flip, same lastTransitionTime");

    // A new generation that fails: False again, observedGeneration stays at the last success.
    failWith = "quota exceeded";
    await kit.patch(API, "Widget", "w", { spec: { text: "two" } });
    const failedAgain = await kit.eventually(async () => {
      const { status, generation } = await statusOf("w");
      const condition = synced(status);
      assert.equal(condition?.status, "False");
      assert.equal(condition?.observedGeneration, generation);
      return { status, condition: condition! };
    });
    assert.match(failedAgain.condition.message ?? "", /quota exceeded/);
    assert.equal(failedAgain.status.observedGeneration, 1, "a failed generation is never claimed");
    assert.equal(failedAgain.status.text, "one", "the last good status stays");
    failWith = undefined;
    await kit.eventually(async () => assert.equal(synced((await statusOf("w")).status)?.status, "True"), { timeout: 30_000 });
  });

  it("a CRD without status.conditions in its schema: the condition is turned off, the status written without it, syncs stay zero-write", async () => {
    const since = Date.now();
    await kit.createParent({ apiVersion: API, kind: "Gadget", metadata: { name: "g" }, spec: { text: "hi" } });
    await kit.eventually(async () => {
      const status = (await kit.get(API, "Gadget", "g"))?.status as { text?: string; conditions?: unknown } | undefined;
      assert.equal(status?.text, "hi");
      assert.equal(status?.conditions, undefined, "not in the schema");
    });
    await kit.reconcile();
    for (const touched of ["1", "2"]) {
      await kit.patch(API, "Gadget", "g", { metadata: { labels: { touched } } });
      await kit.reconcile();
    }
    const statusWrites = (await operatorWritesTo("g", since, "gadgets")).filter((w) => w.subresource === "status");
    const codes = statusWrites.map((w) => w.code);
    // The first apply (with the condition) refused, the same status applied at once without it, then nothing.
    assert.deepEqual(codes, [500, 200], `status writes: ${JSON.stringify(statusWrites.map((w) => [w.time.toISOString(), w.code]))}`);
  });

  it("a throwing @Finalize on a parent being deleted shows Synced=False with the Event's reason and message; fixed, the parent goes", async () => {
    await kit.createParent({ apiVersion: API, kind: "Sprocket", metadata: { name: "s" }, spec: { text: "x" } });
    await kit.eventually(async () => {
      const status = ((await kit.get(API, "Sprocket", "s"))?.status ?? {}) as WidgetStatus;
      assert.equal(synced(status)?.status, "True", `status ${JSON.stringify(status)}`);
    });

    finalizeFailsWith = "cannot drop the bucket: access denied";
    await kit.deleteParent(API, "Sprocket", "s");
    const failed = await kit.eventually(async () => {
      const obj = await kit.get(API, "Sprocket", "s");
      assert.ok(obj?.metadata?.deletionTimestamp, "the parent is being deleted, held by the finalizer");
      const condition = synced((obj.status ?? {}) as WidgetStatus);
      assert.equal(condition?.status, "False", `status ${JSON.stringify(obj.status)}`);
      return condition!;
    });
    assert.equal(failed.reason, "FinalizeFailed", "the Event's reason");
    assert.match(failed.message ?? "", /cannot drop the bucket: access denied/);
    const event = (await kit.events("s")).find((e) => e.reason === "FinalizeFailed");
    assert.ok(event, "a FinalizeFailed Event");
    assert.equal(failed.message, event.message, "the condition carries the Event's message");

    // Retries failing the same way rewrite nothing; fixed, the finalizer goes and so does the parent.
    const callsAtFailure = finalizeCalls;
    const sinceFailure = Date.now();
    // Two more calls: the first retry's condition write (if any) comes after its handler call returns.
    await kit.eventually(() => assert.ok(finalizeCalls >= callsAtFailure + 2, "failed retries"), { timeout: 30_000 });
    const retryWrites = (await operatorWritesTo("s", sinceFailure, "sprockets")).filter((w) => w.subresource === "status");
    assert.deepEqual(retryWrites, [], "a retry failing with the same message writes no status");
    finalizeFailsWith = undefined;
    await kit.eventually(async () => assert.equal(await kit.get(API, "Sprocket", "s"), undefined), { timeout: 30_000 });
  });

  it("a failable handler whose finalize step fails: its status, Synced=False with the Event's reason and message, no success claimed", async () => {
    await kit.createParent({ apiVersion: API, kind: "Cog", metadata: { name: "c" }, spec: { text: "x" } });
    await kit.eventually(async () => {
      const status = ((await kit.get(API, "Cog", "c"))?.status ?? {}) as WidgetStatus;
      assert.equal(synced(status)?.status, "True", `status ${JSON.stringify(status)}`);
    });

    cogFinalizeFails = "the snapshot service said no";
    await kit.deleteParent(API, "Cog", "c");
    const failed = await kit.eventually(async () => {
      const obj = await kit.get(API, "Cog", "c");
      const status = (obj?.status ?? {}) as WidgetStatus & { phase?: string };
      assert.equal(status.phase, "finalizeFailed", `status ${JSON.stringify(status)}`);
      const condition = synced(status);
      assert.equal(condition?.status, "False", `status ${JSON.stringify(status)}`);
      return condition!;
    });
    assert.equal(failed.reason, "FinalizeFailed");
    assert.match(failed.message ?? "", /the snapshot service said no/);
    const event = await kit.eventually(async () => {
      const found = (await kit.events("c")).find((e) => e.reason === "FinalizeFailed");
      assert.ok(found, "a FinalizeFailed Event");
      return found;
    });
    assert.equal(failed.message, event.message, "the condition carries the Event's message");

    cogFinalizeFails = undefined;
    await kit.eventually(async () => assert.equal(await kit.get(API, "Cog", "c"), undefined), { timeout: 30_000 });
  });
});
