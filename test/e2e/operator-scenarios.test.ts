/**
 * roperator's integration scenarios, on a real control plane: one child, a failing parent that
 * blocks nobody, finalize retried after its delay, a deleted child recreated, OnDelete leaving an
 * edited child alone, and resyncAfter syncing without events.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import {
  ChildConfig,
  FinalizeResponse,
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
import { CallRecorder, sleep } from "./fixtures/recorder.js";

const syncs = new CallRecorder();
const finalizes = new CallRecorder();
const FINALIZE_RETRY_MS = 700;

type Spec = { message?: string; resyncAfterMs?: number };
const specOf = (req: SyncRequest<KubeObject>) => (req.raw.spec ?? {}) as Spec;
const nameOf = (req: SyncRequest<KubeObject>) => req.raw.metadata!.name!;

/** Basic → ConfigMap `<name>-cm`; parents named `bad-*` fail; `spec.resyncAfterMs` asks for resyncs. */
const basic: OperatorDefinition = {
  config: new OperatorConfig("basic", testType("Basic"))
    .withChild(V1ConfigMap)
    .withBackoff({ initialDelayMs: 200, multiplier: 2, jitter: 0, maxDelayMs: 5_000 }),
  handler: (req: SyncRequest<KubeObject>) => {
    const name = nameOf(req);
    syncs.record(name);
    if (name.startsWith("bad-")) throw new Error(`boom for ${name}`);
    const spec = specOf(req);
    const response = SyncResponse.of({ message: spec.message ?? "" }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-cm` },
      data: { message: spec.message ?? "" },
    });
    return spec.resyncAfterMs ? response.withResyncAfter(spec.resyncAfterMs) : response;
  },
};

/** Fin: no children; finalize asks for a retry twice, then is done. */
const finalizing: OperatorDefinition = {
  config: new OperatorConfig("finalizing", testType("Fin")),
  handler: {
    sync: (_req: SyncRequest<KubeObject>) => SyncResponse.of({ ok: true }),
    finalize: (req: SyncRequest<KubeObject>) => {
      const name = nameOf(req);
      finalizes.record(name);
      return finalizes.count(name) < 3 ? FinalizeResponse.retryAfter(FINALIZE_RETRY_MS, { cleanup: "pending" }) : FinalizeResponse.done();
    },
  },
};

/** OnDel → ConfigMap `<name>-cm` created when missing, never updated. */
const onDelete: OperatorDefinition = {
  config: new OperatorConfig("on-delete", testType("OnDel")).withChild(V1ConfigMap, ChildConfig.onDelete()),
  handler: (req: SyncRequest<KubeObject>) => {
    syncs.record(nameOf(req));
    return SyncResponse.of().withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${nameOf(req)}-cm` },
      data: { message: specOf(req).message ?? "" },
    });
  },
};

describe("roperator's integration scenarios", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: [testCrd("Basic"), testCrd("Fin"), testCrd("OnDel")],
      operators: [basic, finalizing, onDelete],
      logger: logs.logger,
    });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("reconciles a parent with one child: owned, labelled, and the status written", async () => {
    const parent = await kit.createParent(parentOf("Basic", "one", { message: "hello" }));
    const cm = await kit.eventuallyMatches("v1", "ConfigMap", "one-cm", { data: { message: "hello" } });
    assert.equal(cm.metadata?.labels?.[TRACKING_LABEL], parent.metadata?.uid);
    assert.deepEqual(cm.metadata?.ownerReferences, [
      { apiVersion: E2E_API_VERSION, kind: "Basic", name: "one", uid: parent.metadata?.uid, controller: true, blockOwnerDeletion: true },
    ]);
    await kit.eventuallyMatches(E2E_API_VERSION, "Basic", "one", { status: { message: "hello", observedGeneration: 1 } });
    assert.equal(kit.errorCount("one", { operator: "basic" }), 0);
  });

  it("a failing parent does not block others and is retried with growing backoff and a SyncFailed Event", async () => {
    await kit.createParent(parentOf("Basic", "bad-1", { message: "x" }));
    await kit.createParent(parentOf("Basic", "good-1", { message: "fine" }));
    await kit.eventuallyMatches("v1", "ConfigMap", "good-1-cm", { data: { message: "fine" } });
    await kit.eventually(() => assert.ok(kit.errorCount("bad-1", { operator: "basic" }) >= 4, `errors: ${kit.errorCount("bad-1")}`), {
      timeout: 10_000,
    });
    // Backoff 200 ms x2 without jitter: the gaps grow (200, 400, 800 ...), each at least the delay.
    const gaps = syncs.gaps("bad-1").slice(0, 3);
    assert.equal(gaps.length, 3);
    for (const [i, gap] of gaps.entries()) assert.ok(gap >= 200 * 2 ** i - 20, `gap ${i} = ${gap} ms`);
    // Grown by the delays' difference (800 - 400 ms): a failed sync's own time, which a loaded machine
    // stretches, is in both gaps alike and cancels out (not in the first: the first failure also
    // writes the Synced=False condition, a round trip the later ones skip).
    assert.ok(gaps[2]! - gaps[1]! >= 380, `backoff did not grow: ${gaps.map(Math.round).join(", ")}`);
    const events = await kit.eventually(async () => {
      const warnings = (await kit.events("bad-1")).filter((e) => e.type === "Warning" && e.reason === "SyncFailed");
      assert.ok(warnings.length > 0, "no SyncFailed Event yet");
      return warnings;
    });
    assert.match(String(events[0]!.message), /boom for bad-1/);
    // The log line names the operator and the parent (namespace/name).
    assert.ok(
      logs.find({ operator: "basic", parent: `${kit.namespace}/bad-1`, reason: "SyncFailed" }).length > 0,
      "no log line with the parent key",
    );
    assert.equal(await kit.get("v1", "ConfigMap", "bad-1-cm"), undefined);
    // The good parent still reacts to changes while the bad one keeps failing.
    await kit.patch(E2E_API_VERSION, "Basic", "good-1", { spec: { message: "still fine" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "good-1-cm", { data: { message: "still fine" } });
    assert.equal(kit.errorCount("good-1", { operator: "basic" }), 0);
    await kit.deleteParent(E2E_API_VERSION, "Basic", "bad-1");
  });

  it("finalize is retried once per retryAfter; done removes the finalizer and the parent goes", async () => {
    await kit.createParent(parentOf("Fin", "fin-1"));
    const withFinalizer = await kit.eventually(async () => {
      const p = await kit.get(E2E_API_VERSION, "Fin", "fin-1");
      assert.deepEqual(p?.metadata?.finalizers, ["tsoperator.dev/finalizing"]);
      return p;
    });
    assert.ok(withFinalizer);
    await kit.deleteParent(E2E_API_VERSION, "Fin", "fin-1");
    // While not done, finalize's status is written.
    await kit.eventuallyMatches(E2E_API_VERSION, "Fin", "fin-1", { status: { cleanup: "pending" } });
    await kit.eventuallyDeleted(E2E_API_VERSION, "Fin", "fin-1", undefined, { timeout: 10_000 });
    assert.equal(finalizes.count("fin-1"), 3);
    for (const gap of finalizes.gaps("fin-1")) {
      assert.ok(
        gap >= FINALIZE_RETRY_MS - 20 && gap < FINALIZE_RETRY_MS * 2, // once per retryAfter, not twice
        `finalize gap ${Math.round(gap)} ms, retryAfter ${FINALIZE_RETRY_MS}`,
      );
    }
    await sleep(FINALIZE_RETRY_MS + 200);
    assert.equal(finalizes.count("fin-1"), 3, "finalize ran again after done");
  });

  it("a deleted child is recreated", async () => {
    await kit.createParent(parentOf("Basic", "phoenix", { message: "again" }));
    const first = await kit.eventuallyExists("v1", "ConfigMap", "phoenix-cm");
    await kit.delete("v1", "ConfigMap", "phoenix-cm");
    const second = await kit.eventually(async () => {
      const cm = await kit.get("v1", "ConfigMap", "phoenix-cm");
      assert.ok(cm && cm.metadata?.uid !== first.metadata?.uid, "not recreated yet");
      return cm;
    });
    assert.deepEqual(second.data, { message: "again" });
  });

  it("OnDelete leaves an edited child alone, and creates it when missing", async () => {
    await kit.createParent(parentOf("OnDel", "od", { message: "v1" }));
    await kit.eventuallyMatches("v1", "ConfigMap", "od-cm", { data: { message: "v1" } });
    await kit.patch("v1", "ConfigMap", "od-cm", { data: { message: "edited by hand" } });
    const before = syncs.count("od");
    await kit.patch(E2E_API_VERSION, "OnDel", "od", { spec: { message: "v2" } });
    await kit.eventually(() => assert.ok(syncs.count("od") > before, "no sync after the spec change"));
    await kit.reconcile();
    assert.deepEqual((await kit.get("v1", "ConfigMap", "od-cm"))?.data, { message: "edited by hand" });
    await kit.delete("v1", "ConfigMap", "od-cm");
    await kit.eventuallyMatches("v1", "ConfigMap", "od-cm", { data: { message: "v2" } });
  });

  it("resyncAfter syncs again without any event", async () => {
    await kit.createParent(parentOf("Basic", "ticker", { message: "tick", resyncAfterMs: 300 }));
    await kit.eventuallyExists("v1", "ConfigMap", "ticker-cm");
    await sleep(500); // past the create's own follow-up events
    const start = syncs.count("ticker");
    await sleep(1_600);
    const resyncs = syncs.count("ticker") - start;
    // ~5 at 300 ms; at least 2 on a loaded machine (a sync and its status read stretch each cycle).
    assert.ok(resyncs >= 2 && resyncs <= 7, `expected ~5 resyncs in 1.6 s at 300 ms, got ${resyncs}`);
    for (const gap of syncs.gaps("ticker").slice(-resyncs)) assert.ok(gap >= 280, `resync gap ${Math.round(gap)} ms`);
    await kit.deleteParent(E2E_API_VERSION, "Basic", "ticker");
  });
});
