import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1Pod } from "@kubernetes/client-node";
import { FinalizeResponse, InvalidResponseError, SyncResponse } from "../../../src/api/index.js";

describe("SyncResponse", () => {
  it("builds status, children and resync", () => {
    const pod = new V1Pod();
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "s" } };
    const r = SyncResponse.of({ ready: true })
      .withChild(pod)
      .withChildren(svc, { apiVersion: "v1", kind: "ConfigMap" })
      .withResyncAfter(1500);
    assert.deepEqual(r.status, { ready: true });
    assert.equal(r.children.length, 3);
    assert.equal(r.children[0], pod);
    assert.equal(r.resyncAfter, 1500);
    assert.equal(r.failure, undefined);
    assert.equal(SyncResponse.of().status, undefined, "no status: leave it alone");
    assert.deepEqual(SyncResponse.of().withStatus({ a: 1 }).status, { a: 1 });
  });

  it("rejects a negative or non-finite resync", () => {
    assert.throws(() => SyncResponse.of().withResyncAfter(-1), InvalidResponseError);
    assert.throws(() => SyncResponse.of().withResyncAfter(Number.NaN), /finite number of milliseconds/);
  });

  it("failed(): status and resync from the error answer, marked to keep children", () => {
    const error = new Error("boom");
    const r = SyncResponse.failed(error, { status: { error: "boom" }, resyncAfter: 2000 });
    assert.deepEqual(r.status, { error: "boom" });
    assert.equal(r.resyncAfter, 2000);
    assert.equal(r.failure?.error, error);
    assert.deepEqual(r.children, []);
  });

  it("from() normalizes responses and plain objects, rejects the rest", () => {
    const r = SyncResponse.of();
    assert.equal(SyncResponse.from(r), r);
    const p = SyncResponse.from({ status: { s: 1 }, children: [{ kind: "X" }], resyncAfter: 5 });
    assert.ok(p instanceof SyncResponse);
    assert.deepEqual([p.status, p.children, p.resyncAfter], [{ s: 1 }, [{ kind: "X" }], 5]);
    assert.throws(() => SyncResponse.from(undefined), /did the handler forget to return/);
    assert.throws(() => SyncResponse.from("x"), InvalidResponseError);
    assert.throws(() => SyncResponse.from([]), /an array/);
    assert.throws(() => SyncResponse.from({ children: {} }), /must be an array/);
    assert.deepEqual(SyncResponse.from({}).children, []);
    // a child returned instead of a response must not read as "no children" (which deletes them all)
    assert.throws(() => SyncResponse.from(new V1Pod()), /instance of V1Pod/);
    assert.throws(() => SyncResponse.from({ apiVersion: "v1", kind: "Pod", metadata: {} }), /unexpected keys apiVersion, kind, metadata/);
  });
});

describe("FinalizeResponse", () => {
  it("done and retryAfter", () => {
    const d = FinalizeResponse.done({ phase: "Gone" });
    assert.deepEqual([d.done, d.retryAfter, d.status], [true, undefined, { phase: "Gone" }]);
    const r = FinalizeResponse.retryAfter(3000, { phase: "Cleaning" });
    assert.deepEqual([r.done, r.retryAfter, r.status], [false, 3000, { phase: "Cleaning" }]);
    assert.ok(Object.isFrozen(r));
    assert.throws(() => FinalizeResponse.retryAfter(-5), InvalidResponseError);
  });

  it("from(): undefined is done, plain objects are read, done:false needs retryAfter", () => {
    assert.equal(FinalizeResponse.from(undefined).done, true);
    const r = FinalizeResponse.from({ retryAfter: 10, status: { x: 1 } });
    assert.deepEqual([r.done, r.retryAfter, r.status], [false, 10, { x: 1 }]);
    assert.equal(FinalizeResponse.from({ done: true }).done, true);
    assert.throws(() => FinalizeResponse.from({ done: false }), /needs retryAfter/);
    assert.throws(() => FinalizeResponse.from(42), /FinalizeResponse.done\(\)/);
    assert.throws(() => FinalizeResponse.from(SyncResponse.of()), /instance of SyncResponse/);
    assert.throws(() => FinalizeResponse.from({ retry: 5 }), /unexpected keys retry/);
  });
});
