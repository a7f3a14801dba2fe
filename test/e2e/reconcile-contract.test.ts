/**
 * The reconcile contract on a real control plane: TerminalError (Event, metric, no retry until an
 * event), status claims observedGeneration only when the children were written, a finalizer left
 * by an operator version that had `@Finalize` is removed, a sync in flight when its parent is
 * deleted leaves no failure count behind, and one info line per sync that wrote something.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import {
  OperatorConfig,
  SyncResponse,
  TerminalError,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { CallRecorder, sleep } from "./fixtures/recorder.js";

const syncs = new CallRecorder();
const nameOf = (req: SyncRequest<KubeObject>) => req.raw.metadata!.name!;

/** Released by the test once it deleted the parent `leak-1` (its sync is then still in flight). */
let releaseLeak: () => void = () => undefined;
const leakReleased = new Promise<void>((resolve) => (releaseLeak = resolve));
let leakStarted: () => void = () => undefined;
const leakInFlight = new Promise<void>((resolve) => (leakStarted = resolve));

/**
 * Contract → ConfigMap `<name>-cm`. `term-*` throws a TerminalError until its spec says `fixed`;
 * `badchild-*` returns a child the API server refuses (an invalid data key) plus a status;
 * `leak-*` fails after its parent was deleted mid-sync. No finalize handler.
 */
const contract: OperatorDefinition = {
  config: new OperatorConfig("contract", testType("Contract"))
    .withChild(V1ConfigMap)
    .withBackoff({ initialDelayMs: 100, multiplier: 1, jitter: 0, maxDelayMs: 100 }),
  handler: async (req: SyncRequest<KubeObject>) => {
    const name = nameOf(req);
    syncs.record(name);
    const spec = (req.raw.spec ?? {}) as { fixed?: boolean };
    if (name.startsWith("term-") && !spec.fixed) throw new TerminalError(`${name}: spec.fixed is required`);
    if (name.startsWith("leak-")) {
      leakStarted();
      await leakReleased;
      throw new Error("failed after the parent was deleted");
    }
    const data: Record<string, string> = name.startsWith("badchild-") ? { "not a valid key!": "x" } : { ok: "yes" };
    return SyncResponse.of({ phase: "synced" }).withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-cm` }, data });
  },
};

describe("the reconcile contract", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({ controlPlane: cp, manifests: [testCrd("Contract")], operators: [contract], logger: logs.logger });
  });

  after(async () => {
    releaseLeak();
    await kit?.close();
    await cp?.stop();
  });

  async function metric(name: string): Promise<number> {
    const m = await kit.runtime.metrics.registry.getSingleMetric(name)?.get();
    return m?.values.filter((v) => v.labels.controller === "contract").reduce((a, v) => a + v.value, 0) ?? 0;
  }

  it("a TerminalError is logged, recorded as an Event, counted as terminal and not retried until the parent changes", async () => {
    await kit.createParent(parentOf("Contract", "term-1"));
    await kit.eventually(async () => {
      const warnings = (await kit.events("term-1")).filter((e) => e.type === "Warning" && e.reason === "TerminalError");
      assert.ok(warnings.length > 0, "no TerminalError Event");
      assert.match(String(warnings[0]!.message), /spec.fixed is required/);
    });
    assert.equal(await metric("controller_runtime_terminal_reconcile_errors_total"), 1);
    assert.ok(logs.find({ operator: "contract", parent: `${kit.namespace}/term-1`, reason: "TerminalError" }).length > 0);
    await sleep(1_000); // ten backoff periods
    assert.equal(syncs.count("term-1"), 1, "a terminal error was retried");
    await kit.patch(E2E_API_VERSION, "Contract", "term-1", { spec: { fixed: true } });
    await kit.eventuallyExists("v1", "ConfigMap", "term-1-cm");
    assert.ok(syncs.count("term-1") >= 2);
  });

  it("status after the children: observedGeneration is not claimed when a child write failed", async () => {
    await kit.createParent(parentOf("Contract", "badchild-1"));
    await kit.eventually(async () => {
      const warnings = (await kit.events("badchild-1")).filter((e) => e.reason === "ChildWriteFailed");
      assert.ok(warnings.length > 0, "no ChildWriteFailed Event");
    });
    const parent = await kit.eventuallyMatches(E2E_API_VERSION, "Contract", "badchild-1", { status: { phase: "synced" } });
    assert.equal(
      (parent.status as { observedGeneration?: number }).observedGeneration,
      undefined,
      "observedGeneration claims generation 1 although its child was never written",
    );
    assert.ok((await metric("tsoperator_write_errors_total")) >= 1);
  });

  it("removes a finalizer that an earlier version (with @Finalize) left: the parent is not stuck Terminating", async () => {
    const finalizer = "tsoperator.dev/contract";
    // As left by the operator's previous version, which declared a finalize handler.
    await kit.createParent({ ...parentOf("Contract", "fin-left"), metadata: { name: "fin-left", finalizers: [finalizer] } });
    await kit.eventually(async () => {
      const p = await kit.get(E2E_API_VERSION, "Contract", "fin-left");
      assert.deepEqual(p?.metadata?.finalizers ?? [], [], "the former finalizer is still there");
    });
    await kit.eventually(() =>
      assert.ok(
        logs.find({ operator: "contract", level: "info", msg: "removed finalizer tsoperator.dev/contract" }).length > 0,
        "no info line",
      ),
    );
    // Deleted while carrying it (e.g. deleted while the operator was down): it goes too.
    await kit.createParent({ ...parentOf("Contract", "fin-deleted"), metadata: { name: "fin-deleted", finalizers: [finalizer] } });
    await kit.delete(E2E_API_VERSION, "Contract", "fin-deleted");
    await kit.eventuallyDeleted(E2E_API_VERSION, "Contract", "fin-deleted");
  });

  it("a sync in flight when its parent is deleted leaves no failure count behind", async () => {
    await kit.createParent(parentOf("Contract", "leak-1"));
    await leakInFlight;
    await kit.delete(E2E_API_VERSION, "Contract", "leak-1");
    await kit.eventuallyDeleted(E2E_API_VERSION, "Contract", "leak-1");
    await sleep(300); // the DELETED event reached the controller
    releaseLeak();
    await sleep(500);
    assert.equal(kit.errorCount("leak-1", { operator: "contract" }), 0, "the failure count of a deleted parent was re-added");
  });

  it("logs one info line per sync that wrote something, saying what, and nothing for a no-op sync", async () => {
    await kit.createParent(parentOf("Contract", "quiet-1"));
    await kit.eventuallyMatches(E2E_API_VERSION, "Contract", "quiet-1", { status: { phase: "synced" } });
    await kit.reconcile({ allowFailures: true }); // badchild-1 and term-1 fail on purpose
    const lines = logs.find({ operator: "contract", parent: `${kit.namespace}/quiet-1`, msg: "synced: " });
    assert.equal(lines.length, 1, `lines: ${JSON.stringify(lines.map((l) => l.msg))}`);
    assert.equal(lines[0]!.msg, "synced: applied ConfigMap quiet-1-cm, status");
    assert.equal(lines[0]!.level, "info");
  });
});
