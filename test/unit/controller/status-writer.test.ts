import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { desiredStatusOf } from "../../../src/controller/status-writer.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const parent = (generation: number, observed?: number): KubeObject => ({
  apiVersion: "example.com/v1",
  kind: "Thing",
  metadata: { name: "p", generation },
  ...(observed === undefined ? {} : { status: { observedGeneration: observed } }),
});

describe("desiredStatusOf", () => {
  it("claims the parent's generation when the sync's children were all written", () => {
    assert.deepEqual(desiredStatusOf(parent(3, 2), { phase: "ok" }), { phase: "ok", observedGeneration: 3 });
    assert.deepEqual(desiredStatusOf(parent(3), { phase: "ok", observedGeneration: 99 }), { phase: "ok", observedGeneration: 3 });
  });

  it("keeps the previous observedGeneration when a child write failed, whatever the handler set", () => {
    assert.deepEqual(desiredStatusOf(parent(3, 2), { phase: "ok", observedGeneration: 3 }, false), { phase: "ok", observedGeneration: 2 });
    // Never succeeded: no observedGeneration at all, not the handler's own claim.
    assert.deepEqual(desiredStatusOf(parent(1), { phase: "ok", observedGeneration: 1 }, false), { phase: "ok" });
  });
});
