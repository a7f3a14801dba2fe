import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../src/core/kube-object.js";
import { planDeletion, planLiveFinalizer, planOutcomeWrites } from "../../../src/controller/parent-plan.js";

const OURS = "tsoperator.dev/web";
const parent = (finalizers: string[] = []): KubeObject => ({
  apiVersion: "example.com/v1",
  kind: "Web",
  metadata: { name: "p", finalizers },
});

describe("planLiveFinalizer", () => {
  it("adds our finalizer when the operator finalizes and the parent lacks it", () => {
    assert.deepEqual(planLiveFinalizer(parent(), { finalizer: OURS }).kind, "add");
    assert.equal(planLiveFinalizer(parent(["other.io/x"]), { finalizer: OURS }).kind, "add");
  });
  it("does nothing when it is in place, or when the operator never finalized", () => {
    assert.equal(planLiveFinalizer(parent([OURS]), { finalizer: OURS }).kind, "none");
    assert.equal(planLiveFinalizer(parent(), {}).kind, "none");
  });
  it("removes a finalizer an earlier version added once @Finalize is gone, and nobody else's", () => {
    assert.deepEqual(planLiveFinalizer(parent([OURS, "other.io/x"]), { formerFinalizer: OURS }), {
      kind: "remove",
      finalizer: OURS,
      reason: "the operator no longer declares a finalize handler",
    });
    assert.equal(planLiveFinalizer(parent(["other.io/x"]), { formerFinalizer: OURS }).kind, "none");
  });
});

describe("planDeletion", () => {
  it("has nothing to do without our finalizer (the garbage collector removes the children)", () => {
    assert.equal(planDeletion(parent(["other.io/x"]), { finalizer: OURS }, true).kind, "nothing");
    assert.equal(planDeletion(parent(), {}, false).kind, "nothing");
  });
  it("calls the finalize handler while our finalizer holds the parent", () => {
    assert.deepEqual(planDeletion(parent([OURS]), { finalizer: OURS }, true).kind, "finalize");
  });
  it("releases a finalizer whose handler no longer exists, at once", () => {
    assert.equal(planDeletion(parent([OURS]), { formerFinalizer: OURS }, false).kind, "release");
    assert.equal(planDeletion(parent([OURS]), { finalizer: OURS }, false).kind, "release");
  });
});

describe("planOutcomeWrites", () => {
  const child: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
  it("a success writes the children, then a status that claims the generation only if they all succeeded", () => {
    assert.deepEqual(planOutcomeWrites({ children: [child], status: { ready: true } }), {
      children: "write",
      status: { ready: true },
      claimGeneration: "if-children-succeeded",
    });
    assert.deepEqual(planOutcomeWrites({ children: [] }), { children: "write", claimGeneration: "if-children-succeeded" });
  });
  it("an error handler's answer keeps every child, writes its status and ends as a failure with its retry time", () => {
    const error = new Error("boom");
    assert.deepEqual(planOutcomeWrites({ children: [], status: { phase: "Failed" }, resyncAfterMs: 5000, failed: { error } }), {
      children: "keep",
      status: { phase: "Failed" },
      claimGeneration: "always",
      failure: { error, retryAfterMs: 5000 },
    });
    assert.deepEqual(planOutcomeWrites({ children: [], failed: { error } }).failure, { error });
  });
});
