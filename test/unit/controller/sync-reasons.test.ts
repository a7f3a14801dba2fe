/** SyncReasons: the triggers of a parent's next sync, coalesced as the work queue coalesces its key. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SyncReasons } from "../../../src/controller/sync-reasons.js";
import { MAX_TRIGGERS, describeTriggers } from "../../../src/core/sync-trigger.js";
import { syncReason } from "../../../src/api/handler-context.js";

describe("SyncReasons", () => {
  it("hands the triggers noted since the last take to the next sync, in order, each once", () => {
    const r = new SyncReasons();
    r.note("ns/a", { kind: "created", object: { kind: "Widget", name: "a", namespace: "ns" } });
    const child = { kind: "child-changed", object: { kind: "ConfigMap", name: "a-cm", namespace: "ns" }, event: "MODIFIED" } as const;
    r.note("ns/a", child);
    r.note("ns/a", child);
    r.note("ns/b", { kind: "changed" });
    assert.deepEqual(
      r.take("ns/a", 0).map((t) => t.kind),
      ["created", "child-changed"],
    );
    assert.deepEqual(r.take("ns/a", 0), [{ kind: "resync" }], "taken: a later sync without events is a resync");
    assert.deepEqual(r.take("ns/b", 0), [{ kind: "changed" }]);
    assert.equal(r.size, 0);
  });

  it("a sync the queue started by itself is a retry when the key has failures", () => {
    const r = new SyncReasons();
    assert.deepEqual(r.take("k", 2), [{ kind: "retry" }]);
  });

  it("keeps at most MAX_TRIGGERS distinct triggers, the first ones", () => {
    const r = new SyncReasons();
    for (let i = 0; i < MAX_TRIGGERS + 5; i++)
      r.note("k", { kind: "child-changed", object: { kind: "Pod", name: `p${i}` }, event: "ADDED" });
    const taken = r.take("k", 0);
    assert.equal(taken.length, MAX_TRIGGERS);
    assert.equal(taken[0]!.object!.name, "p0");
  });

  it("forget drops what was noted (the parent is gone)", () => {
    const r = new SyncReasons();
    r.note("k", { kind: "changed" });
    r.forget("k");
    assert.equal(r.size, 0);
  });
});

describe("syncReason (req.reason)", () => {
  it("answers has(kind) and reads as a short text", () => {
    const reason = syncReason([
      { kind: "created" },
      { kind: "child-changed", object: { kind: "ConfigMap", name: "web" }, event: "DELETED" },
    ]);
    assert.equal(reason.has("created"), true);
    assert.equal(reason.has("resync"), false);
    assert.equal(String(reason), "created, child-changed ConfigMap web (DELETED)");
    assert.equal(describeTriggers([]), "");
  });
});
