import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InformerPool } from "../../../src/cache/informer-pool.js";
import type { ResourceType } from "../../../src/core/kube-object.js";
import { noopLogger } from "../../../src/observability/logger.js";

const SECRET: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true };
const client = { list: async () => ({ items: [], resourceVersion: "1" }), watch: () => ({ async *[Symbol.asyncIterator]() {} }) };

describe("InformerPool: related types' cache options", () => {
  it("the same type and options share one informer; other options get their own", () => {
    const pool = new InformerPool(client as never, noopLogger);
    const drop = (o: Record<string, unknown>) => o;
    const a = pool.informerFor(SECRET, { labelSelector: "app=db", metadataOnly: true, transform: drop as never });
    const b = pool.informerFor(SECRET, { labelSelector: "app=db", metadataOnly: true, transform: drop as never });
    assert.equal(a, b, "two operators declaring the same related type and options share one list+watch");
    const plain = pool.informerFor(SECRET, { labelSelector: "app=db" });
    const other = pool.informerFor(SECRET, { labelSelector: "app=db", metadataOnly: true, transform: ((o: unknown) => o) as never });
    const field = pool.informerFor(SECRET, { fieldSelector: "type=Opaque" });
    assert.equal(new Set([a, plain, other, field]).size, 4);
    assert.equal(pool.all().length, 4);
    assert.equal(pool.informerFor(SECRET, { labelSelector: "app=db" }), plain, "a plain scope keeps its old key");
  });
});

describe("informer names (runnables, readiness) tell related caches apart", () => {
  it("informers of one type and namespace with other cache options get distinct runnable names", async () => {
    const { informerName } = await import("../../../src/manager/runnables.js");
    const pool = new InformerPool(client as never, noopLogger);
    const informers = [
      pool.informerFor(SECRET, { namespace: "ns" }),
      pool.informerFor(SECRET, { namespace: "ns", fieldSelector: "type=Opaque" }),
      pool.informerFor(SECRET, { namespace: "ns", metadataOnly: true }),
      pool.informerFor(SECRET, { namespace: "ns", transform: ((o: unknown) => o) as never }),
    ];
    const names = informers.map((i) => informerName(i));
    assert.equal(new Set(names).size, 4, `the manager refuses two runnables of one name: ${names.join(" | ")}`);
  });
});

describe("keepManagedFieldsOf: caches keep what the runtime reads of managedFields", () => {
  it("keeps the operator's Apply entries with fieldsV1, its other entries without fieldsV1, nobody else's", async () => {
    const { keepManagedFieldsOf } = await import("../../../src/cache/informer-pool.js");
    const { needsWrite } = await import("../../../src/controller/needs-write.js");
    const { ownershipOf } = await import("../../../src/controller/ownership.js");
    const applied = { "f:data": { "f:a": {} } };
    const updated = { "f:data": { "f:a": {}, "f:b": {} }, "f:metadata": { "f:finalizers": { ".": {}, 'v:"x"': {} } } };
    const wire = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "c",
        ownerReferences: [{ apiVersion: "v1", kind: "P", name: "p", uid: "u", controller: true }],
        managedFields: [
          { manager: "op", operation: "Apply", apiVersion: "v1", time: "t", fieldsType: "FieldsV1", fieldsV1: applied },
          { manager: "op", operation: "Update", apiVersion: "v1", time: "t", fieldsType: "FieldsV1", fieldsV1: updated },
          { manager: "kubectl", operation: "Update", apiVersion: "v1", time: "t", fieldsType: "FieldsV1", fieldsV1: updated },
        ],
      },
      data: { a: "1", b: "2" },
    };
    const cached = keepManagedFieldsOf(wire, new Set(["op"]));
    assert.deepEqual(cached.metadata?.managedFields, [
      { manager: "op", operation: "Apply", fieldsV1: JSON.stringify(applied) },
      // Only Apply entries say which fields the operator wants (needs-write.ts): of the others, the runtime reads only that they exist.
      { manager: "op", operation: "Update" },
    ]);
    // A child from before the operator label is recognized by its field manager's entry (any operation).
    const withUpdateOnly = { ...cached, metadata: { ...cached.metadata, managedFields: [cached.metadata!.managedFields![1]!] } };
    assert.equal(ownershipOf(withUpdateOnly, { parentUid: "u", operator: "o", fieldManager: "op" }), "ours");
    for (const desired of [{ data: { a: "1" } }, { data: { a: "2" } }, { data: {} }])
      assert.equal(needsWrite(desired as never, cached, "op"), needsWrite(desired as never, wire, "op"));
  });
});
