import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ObjectStore } from "../../../src/cache/object-store.js";
import { ObjectIndex } from "../../../src/cache/object-index.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const db = (namespace: string, name: string, secret?: string, rv = "1"): KubeObject => ({
  apiVersion: "e2e/v1",
  kind: "Db",
  metadata: { namespace, name, resourceVersion: rv },
  spec: secret ? { secret } : {},
});

describe("ObjectIndex", () => {
  it("follows adds, changes and deletes; lookups read the cache, optionally within a namespace", () => {
    const store = new ObjectStore();
    const errors: unknown[] = [];
    const index = new ObjectIndex(
      "by-secret",
      (o) => ((o.spec as { secret?: string }).secret ? [(o.spec as { secret: string }).secret] : []),
      (e) => errors.push(e),
    );
    const feed = (type: string, obj: KubeObject) => {
      const event = store.apply({ type, object: obj });
      if (event) index.apply(event);
    };
    feed("ADDED", db("a", "one", "s1"));
    feed("ADDED", db("b", "two", "s1"));
    feed("ADDED", db("a", "three", "s2"));
    const names = (objs: KubeObject[]) => objs.map((o) => o.metadata?.name).sort();
    assert.deepEqual(names(index.lookup(store, "s1")), ["one", "two"]);
    assert.deepEqual(names(index.lookup(store, "s1", "a")), ["one"]);
    feed("MODIFIED", db("a", "one", "s2", "2"));
    assert.deepEqual(names(index.lookup(store, "s1")), ["two"]);
    assert.deepEqual(names(index.lookup(store, "s2")), ["one", "three"]);
    feed("DELETED", db("a", "three", "s2", "3"));
    assert.deepEqual(names(index.lookup(store, "s2")), ["one"]);
    assert.deepEqual(index.lookup(store, "nothing"), []);
    assert.equal(index.size, 2);
    assert.deepEqual(errors, []);
  });

  it("a key function that throws gives the object no keys and is reported", () => {
    const store = new ObjectStore();
    const errors: unknown[] = [];
    const index = new ObjectIndex(
      "boom",
      () => {
        throw new Error("boom");
      },
      (e) => errors.push(e),
    );
    const event = store.apply({ type: "ADDED", object: db("a", "x", "s") });
    index.apply(event!);
    assert.equal(index.size, 0);
    assert.equal(errors.length, 1);
  });
});
