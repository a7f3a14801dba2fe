import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { escapePointerSegment, jsonPatchOf } from "../../../src/webhook/json-patch.js";

/** Applies add/replace/remove ops (enough of RFC 6902 to check that a patch reproduces `after`). */
function apply(doc: unknown, ops: ReturnType<typeof jsonPatchOf>): unknown {
  let root = structuredClone(doc);
  for (const op of ops) {
    if (op.path === "") {
      root = structuredClone((op as { value: unknown }).value);
      continue;
    }
    const parts = op.path
      .slice(1)
      .split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = parts.pop()!;
    let parent = root as Record<string, unknown>;
    for (const p of parts) parent = parent[p] as Record<string, unknown>;
    if (op.op === "remove") delete parent[last];
    else parent[last] = structuredClone(op.value);
  }
  return root;
}

describe("jsonPatchOf", () => {
  it("is empty when nothing changed (undefined keys count as absent)", () => {
    assert.deepEqual(jsonPatchOf({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] }, d: undefined }), []);
  });

  it("touches only what changed: an added default, a replaced leaf, a removed key", () => {
    const before = { metadata: { name: "x", labels: { keep: "1", drop: "2" } }, spec: { message: "hi", tags: ["a", "b"] } };
    const after = { metadata: { name: "x", labels: { keep: "1" } }, spec: { message: "hello", tags: ["a", "b"], replicas: 1 } };
    const ops = jsonPatchOf(before, after);
    assert.deepEqual(ops, [
      { op: "remove", path: "/metadata/labels/drop" },
      { op: "replace", path: "/spec/message", value: "hello" },
      { op: "add", path: "/spec/replicas", value: 1 },
    ]);
    assert.deepEqual(apply(before, ops), after);
  });

  it("patches arrays of equal length item by item and replaces an array whose length changed", () => {
    const before = { items: [{ n: 1 }, { n: 2 }], list: [1] };
    const after = { items: [{ n: 1 }, { n: 3 }], list: [1, 2] };
    const ops = jsonPatchOf(before, after);
    assert.deepEqual(ops, [
      { op: "replace", path: "/items/1/n", value: 3 },
      { op: "replace", path: "/list", value: [1, 2] },
    ]);
    assert.deepEqual(apply(before, ops), after);
  });

  it("escapes ~ and / in keys (label keys such as app.kubernetes.io/name)", () => {
    assert.equal(escapePointerSegment("a/b~c"), "a~1b~0c");
    const ops = jsonPatchOf({ metadata: {} }, { metadata: { labels: { "app.kubernetes.io/name": "x" } } });
    assert.deepEqual(ops, [{ op: "add", path: "/metadata/labels", value: { "app.kubernetes.io/name": "x" } }]);
    const ops2 = jsonPatchOf({ l: { "a/b": "1" } }, { l: { "a/b": "2" } });
    assert.deepEqual(ops2, [{ op: "replace", path: "/l/a~1b", value: "2" }]);
  });

  it("replaces a value whose type changed, and null is a value", () => {
    assert.deepEqual(jsonPatchOf({ a: { b: 1 } }, { a: "x" }), [{ op: "replace", path: "/a", value: "x" }]);
    assert.deepEqual(jsonPatchOf({ a: 1 }, { a: null }), [{ op: "replace", path: "/a", value: null }]);
  });
});
