/** failable's roperator options for giving up on a parent: `giveUpAfter` and `neverRetry`. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSyncRequest, failable, type FailableHandler, type SyncRequest } from "../../../src/api/index.js";
import { TerminalError, isTerminalError } from "../../../src/core/errors.js";
import { TypeRegistry } from "../../../src/registry/index.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const registry = new TypeRegistry();
const mid = () => 0.5;
function req(generation = 1, uid = "uid-1"): SyncRequest<KubeObject> {
  return createSyncRequest({
    parent: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p", namespace: "ns", uid, generation } },
    children: [],
    registry,
  });
}

class QuotaError extends Error {}
function handler(state: { error?: Error }): FailableHandler<KubeObject> {
  return {
    syncChildren: () => {
      if (state.error) throw state.error;
      return [];
    },
    determineStatus: (_req, outcome) => ({ kind: outcome.kind }),
  };
}

describe("failable: giveUpAfter", () => {
  it("retries with backoff until the n-th failure in a row, then fails terminally with the status written", async () => {
    const h = failable(handler({ error: new Error("bucket missing") }), { giveUpAfter: 3, random: mid });
    const first = await h.sync(req());
    const second = await h.sync(req());
    assert.equal(first.resyncAfter, 500);
    assert.equal(second.resyncAfter, 750);
    assert.equal(isTerminalError(first.failure?.error), false);
    const third = await h.sync(req());
    assert.ok(isTerminalError(third.failure?.error), "the third failure gives up");
    assert.equal(third.resyncAfter, undefined, "a terminal failure schedules nothing");
    assert.deepEqual(third.status, { kind: "syncFailed" });
    const error = third.failure!.error as Error;
    assert.match(error.message, /bucket missing \(gave up after 3 failed syncs in a row/);
    assert.equal((error.cause as Error).message, "bucket missing");
  });

  it("a new generation of the parent starts the count again; so does a success", async () => {
    const state: { error?: Error } = { error: new Error("boom") };
    const h = failable(handler(state), { giveUpAfter: 2, random: mid });
    await h.sync(req(1));
    assert.ok(isTerminalError((await h.sync(req(1))).failure?.error));
    assert.equal(isTerminalError((await h.sync(req(2))).failure?.error), false, "generation 2 is tried again with backoff");
    state.error = undefined;
    assert.equal((await h.sync(req(2))).failure, undefined);
    state.error = new Error("boom");
    assert.equal(isTerminalError((await h.sync(req(2))).failure?.error), false, "the success reset the count");
  });

  it("rejects a count that is not a whole number >= 1", () => {
    assert.throws(() => failable(handler({}), { giveUpAfter: 0 }), /giveUpAfter must be a whole number >= 1/);
  });
});

describe("failable: neverRetry", () => {
  it("true: every failure is terminal at once, validation failures included", async () => {
    const h = failable({ ...handler({}), validate: () => new Error("size must be positive") }, { neverRetry: true });
    const r = await h.sync(req());
    assert.ok(isTerminalError(r.failure?.error));
    assert.equal(r.resyncAfter, undefined);
    assert.deepEqual(r.status, { kind: "validationFailed" });
  });

  it("a predicate: only the errors it picks are terminal; others back off", async () => {
    const state: { error?: Error } = { error: new QuotaError("quota exceeded") };
    const h = failable(handler(state), { neverRetry: (e) => e instanceof QuotaError, random: mid });
    assert.ok(isTerminalError((await h.sync(req())).failure?.error));
    state.error = new Error("connection reset");
    const retried = await h.sync(req());
    assert.equal(isTerminalError(retried.failure?.error), false);
    assert.equal(retried.resyncAfter, 500);
  });

  it("a TerminalError thrown by a step stays terminal whatever the options", async () => {
    const h = failable(handler({ error: new TerminalError("spec.size is negative") }), { random: mid });
    const r = await h.sync(req());
    assert.ok(isTerminalError(r.failure?.error));
    assert.equal(r.resyncAfter, undefined);
  });
});
