/**
 * The Synced condition (src/controller/sync-condition.ts), pure: when lastTransitionTime moves,
 * what a failure says, how it merges with the handler's own conditions, and which part of the
 * cached status a write without the handler's status sends again. The e2e proof (written on a real
 * API server, zero writes when unchanged) is test/e2e/status-conditions.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_CONDITION_MESSAGE,
  SYNC_SUCCEEDED_REASON,
  ownStatusOf,
  syncCondition,
  withCondition,
  withoutCondition,
  type Condition,
} from "../../../src/controller/sync-condition.js";
import { desiredStatusOf, statusUpToDate } from "../../../src/controller/status-writer.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const T1 = new Date("2026-12-01T10:00:00.123Z");
const T2 = new Date("2026-12-01T11:00:00.456Z");

function parentWith(conditions: Condition[] = [], generation = 3): KubeObject {
  return { metadata: { name: "p", generation }, status: { observedGeneration: 2, conditions } };
}

describe("syncCondition", () => {
  it("a failure is False with the Event's reason and message and the generation it failed on", () => {
    const c = syncCondition("Synced", parentWith(), { ok: false, reason: "SyncFailed", message: "db down" }, T1);
    assert.deepEqual(c, {
      type: "Synced",
      status: "False",
      reason: "SyncFailed",
      message: "db down",
      observedGeneration: 3,
      lastTransitionTime: "2026-12-01T10:00:00Z",
    });
  });

  it("lastTransitionTime moves only when the status flips", () => {
    const failed = syncCondition("Synced", parentWith(), { ok: false, reason: "SyncFailed", message: "a" }, T1);
    const again = syncCondition("Synced", parentWith([failed]), { ok: false, reason: "HandlerTimeout", message: "b" }, T2);
    assert.equal(again.lastTransitionTime, failed.lastTransitionTime, "False -> False keeps the time");
    const ok = syncCondition("Synced", parentWith([again]), { ok: true }, T2);
    assert.equal(ok.status, "True");
    assert.equal(ok.reason, SYNC_SUCCEEDED_REASON);
    assert.equal(ok.lastTransitionTime, "2026-12-01T11:00:00Z", "False -> True moves it");
  });

  it("the same outcome twice builds a status the cached one already holds: nothing to write", () => {
    const first = syncCondition("Synced", parentWith(), { ok: true }, T1);
    const parent = parentWith([first], 3);
    (parent.status as Record<string, unknown>).observedGeneration = 3;
    const second = withCondition({ text: "x" }, syncCondition("Synced", parent, { ok: true }, T2));
    (parent.status as Record<string, unknown>).text = "x";
    assert.equal(statusUpToDate(parent, desiredStatusOf(parent, second), "op"), true);
  });

  it("long messages are cut", () => {
    const c = syncCondition("Synced", parentWith(), { ok: false, reason: "SyncFailed", message: "x".repeat(5000) }, T1);
    assert.equal(c.message.length, MAX_CONDITION_MESSAGE);
  });
});

describe("withCondition", () => {
  it("keeps the handler's own conditions and replaces one of the framework's type", () => {
    const ours = syncCondition("Synced", parentWith(), { ok: true }, T1);
    const handler = {
      conditions: [
        { type: "Available", status: "True" },
        { type: "Synced", status: "Unknown" },
      ],
      text: "t",
    };
    const merged = withCondition(handler, ours);
    assert.deepEqual(merged.conditions, [{ type: "Available", status: "True" }, ours]);
    assert.equal(merged.text, "t");
  });
});

describe("withoutCondition", () => {
  it("drops the framework's condition, and the list when nothing else is in it", () => {
    const ours = syncCondition("Synced", parentWith(), { ok: true }, T1);
    assert.deepEqual(withoutCondition({ text: "t", conditions: [ours] }, "Synced"), { text: "t" });
    const theirs = { type: "Ready", status: "True" };
    assert.deepEqual(withoutCondition({ conditions: [theirs, ours] }, "Synced"), { conditions: [theirs] });
  });
});

describe("ownStatusOf", () => {
  it("sends again only the top-level status fields our field manager applied", () => {
    const parent: KubeObject = {
      metadata: { name: "p" },
      status: { text: "mine", other: "theirs", observedGeneration: 1 },
    };
    assert.deepEqual(ownStatusOf(parent, { "f:status": { "f:text": {}, "f:observedGeneration": {} } }), {
      text: "mine",
      observedGeneration: 1,
    });
    assert.deepEqual(ownStatusOf(parent, undefined), {}, "never applied: nothing");
  });
});
