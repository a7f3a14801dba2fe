import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ObjectStore } from "../../../src/cache/object-store.js";
import type { KubeObject, ResourceType } from "../../../src/core/kube-object.js";
import { RelatedIndex } from "../../../src/controller/related-index.js";
import type { RelatedSelection } from "../../../src/controller/related-spec.js";

const SECRET: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true };

let rv = 1;
function parent(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "e2e/v1",
    kind: "Db",
    metadata: { namespace, name, uid: `${namespace}-${name}`, resourceVersion: String(rv++) },
    spec,
  };
}
function secret(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): KubeObject {
  return { apiVersion: "v1", kind: "Secret", metadata: { namespace, name, labels, annotations, resourceVersion: String(rv++) } };
}

/** An index over a real ObjectStore of related objects; parents are fed by hand. */
function setup(selection: RelatedSelection) {
  const related = new ObjectStore();
  const errors: unknown[] = [];
  const index = new RelatedIndex({ selection, related: SECRET, parentNamespaced: true, onError: (e) => errors.push(e) });
  const relatedEvent = (type: "ADDED" | "MODIFIED" | "DELETED", obj: KubeObject) => {
    const event = related.apply({ type, object: obj });
    assert.ok(event, `${type} ${obj.metadata?.name} was applied`);
    return index.relatedChanged(event).sort();
  };
  const names = (p: KubeObject) =>
    index
      .relatedOf(p, related)
      .map((o) => o.metadata?.name)
      .sort();
  return { related, index, relatedEvent, names, errors };
}

describe("RelatedIndex: by name", () => {
  const byName: RelatedSelection = {
    by: "names",
    names: (p) => {
      const ref = (p.spec as { secret?: unknown }).secret;
      if (ref === "throw") throw new Error("bad spec");
      return ref === undefined ? [] : [typeof ref === "string" ? { name: ref } : (ref as { namespace: string; name: string })];
    },
  };

  it("a related object's events sync exactly the parents that name it, existing or not", () => {
    const { index, related, relatedEvent, names } = setup(byName);
    const a = parent("ns", "a", { secret: "s1" });
    const b = parent("ns", "b", { secret: "s1" });
    const c = parent("ns", "c", { secret: "s2" });
    for (const p of [a, b, c]) index.parentChanged(p, related);
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s1")), ["ns/a", "ns/b"]);
    assert.deepEqual(relatedEvent("ADDED", secret("other", "s1")), [], "a same-named Secret in another namespace is not theirs");
    assert.deepEqual(relatedEvent("MODIFIED", secret("ns", "s1")), ["ns/a", "ns/b"]);
    assert.deepEqual(names(a), ["s1"]);
    assert.deepEqual(names(c), [], "s2 does not exist yet: absent from the snapshot");
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s2")), ["ns/c"]);
    assert.deepEqual(relatedEvent("DELETED", secret("ns", "s1")), ["ns/a", "ns/b"]);
    assert.deepEqual(names(a), []);
  });

  it("a parent that changes its reference moves; a deleted parent selects nothing; explicit namespaces work", () => {
    const { index, related, relatedEvent } = setup(byName);
    const a = parent("ns", "a", { secret: "s1" });
    index.parentChanged(a, related);
    index.parentChanged(parent("ns", "a", { secret: { namespace: "shared", name: "s9" } }), related);
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s1")), []);
    assert.deepEqual(relatedEvent("ADDED", secret("shared", "s9")), ["ns/a"]);
    index.parentDeleted(a);
    assert.deepEqual(relatedEvent("MODIFIED", secret("shared", "s9")), []);
    assert.deepEqual(index.size(), { relatedObjects: 0, edges: 0 });
  });

  it("a names function that throws selects nothing and is reported", () => {
    const { index, related, relatedEvent, errors } = setup(byName);
    index.parentChanged(parent("ns", "a", { secret: "s1" }), related);
    index.parentChanged(parent("ns", "a", { secret: "throw" }), related);
    assert.equal(errors.length, 1);
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s1")), []);
  });
});

describe("RelatedIndex: by label selector", () => {
  const bySelector: RelatedSelection = { by: "selector", selector: (p) => (p.spec as { selector?: string }).selector };

  it("the selected set grows and shrinks with labels; a label change syncs the parents it leaves and joins", () => {
    const { index, related, relatedEvent, names } = setup(bySelector);
    related.apply({ type: "ADDED", object: secret("ns", "pre", { role: "x" }) });
    const x = parent("ns", "x", { selector: "role=x" });
    const y = parent("ns", "y", { selector: "role=y" });
    index.parentChanged(x, related);
    index.parentChanged(y, related);
    assert.deepEqual(names(x), ["pre"], "a parent's selector is matched against what is already cached");
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s1", { role: "x" })), ["ns/x"]);
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s2", { role: "x" })), ["ns/x"]);
    assert.deepEqual(names(x), ["pre", "s1", "s2"]);
    assert.deepEqual(relatedEvent("MODIFIED", secret("ns", "s2", { role: "y" })), ["ns/x", "ns/y"], "moved: both sync");
    assert.deepEqual(names(x), ["pre", "s1"]);
    assert.deepEqual(names(y), ["s2"]);
    assert.deepEqual(relatedEvent("ADDED", secret("elsewhere", "s3", { role: "x" })), [], "only the parent's namespace");
    assert.deepEqual(relatedEvent("DELETED", secret("ns", "s1", { role: "x" })), ["ns/x"]);
    assert.deepEqual(names(x), ["pre"]);
  });

  it("a parent's new selector rescans the cache; no selector selects nothing", () => {
    const { index, related, names } = setup(bySelector);
    related.apply({ type: "ADDED", object: secret("ns", "s1", { role: "x" }) });
    related.apply({ type: "ADDED", object: secret("ns", "s2", { role: "y" }) });
    index.parentChanged(parent("ns", "p", { selector: "role=x" }), related);
    const p = parent("ns", "p", { selector: "role in (x,y)" });
    index.parentChanged(p, related);
    assert.deepEqual(names(p), ["s1", "s2"]);
    const none = parent("ns", "p", {});
    index.parentChanged(none, related);
    assert.deepEqual(names(none), []);
    assert.deepEqual(index.parentsOf("ns/s1"), []);
  });
});

describe("RelatedIndex: by map function", () => {
  const byAnnotation: RelatedSelection = {
    by: "map",
    parentsOf: (o) =>
      (o.metadata?.annotations?.["example.com/used-by"] ?? "")
        .split(",")
        .filter(Boolean)
        .map((name) => ({ name })),
  };

  it("each related object names its parents; a change syncs old and new parents; a deleted parent's edge stays", () => {
    const { index, relatedEvent, names } = setup(byAnnotation);
    const a = parent("ns", "a", {});
    assert.deepEqual(relatedEvent("ADDED", secret("ns", "s1", {}, { "example.com/used-by": "a,b" })), ["ns/a", "ns/b"]);
    assert.deepEqual(names(a), ["s1"]);
    assert.deepEqual(relatedEvent("MODIFIED", secret("ns", "s1", {}, { "example.com/used-by": "b,c" })), ["ns/a", "ns/b", "ns/c"]);
    assert.deepEqual(names(a), []);
    index.parentDeleted(parent("ns", "b", {}));
    assert.deepEqual(index.parentsOf("ns/s1").sort(), ["ns/b", "ns/c"], "b may be re-created: the Secret still names it");
    assert.deepEqual(relatedEvent("DELETED", secret("ns", "s1", {}, { "example.com/used-by": "b,c" })), ["ns/b", "ns/c"]);
    assert.deepEqual(index.size(), { relatedObjects: 0, edges: 0 });
  });
});
