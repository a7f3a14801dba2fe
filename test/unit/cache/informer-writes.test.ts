/**
 * The informer as the only writer of its cache: write answers and deletes go in through
 * recordWrite / recordDelete, with type meta filled and the transform applied, and reach readers
 * (not listeners). The informer is never started here: no list or watch is involved.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject, ResourceType } from "../../../src/core/kube-object.js";
import { Informer, type InformerEvent, type ListWatchClient } from "../../../src/cache/informer.js";

const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const unused: ListWatchClient = {
  list: () => Promise.reject(new Error("not started")),
  watch: () => {
    throw new Error("not started");
  },
};

describe("Informer write path", () => {
  it("recordWrite fills apiVersion/kind, applies the transform, and tells readers but not listeners", () => {
    const informer = new Informer({
      client: unused,
      type: configMaps,
      indexLabels: ["app"],
      transform: (obj) => ({ ...obj, metadata: { ...obj.metadata, annotations: { transformed: "yes" } } }),
    });
    const heard: InformerEvent[] = [];
    informer.on((e) => heard.push(e));
    const answer: KubeObject = { metadata: { name: "a", namespace: "ns", uid: "u", resourceVersion: "5", labels: { app: "x" } }, data: {} };
    assert.equal(informer.recordWrite(answer), true);
    const cached = informer.store.get("ns", "a");
    assert.equal(cached?.apiVersion, "v1");
    assert.equal(cached?.kind, "ConfigMap");
    assert.equal(cached?.metadata?.annotations?.transformed, "yes");
    assert.deepEqual(
      informer.store.byLabel("app", "x").map((o) => o.metadata?.name),
      ["a"],
    );
    assert.equal(informer.store.size, 1);
    assert.equal(informer.recordWrite({ ...answer, metadata: { ...answer.metadata, resourceVersion: "4" } }), false, "older answer");
    assert.deepEqual(heard, []);
  });

  it("recordDelete removes the object the delete acted on, not one re-created at a newer version", () => {
    const informer = new Informer({ client: unused, type: configMaps });
    informer.recordWrite({ metadata: { name: "a", namespace: "ns", uid: "u2", resourceVersion: "9" } });
    assert.equal(informer.recordDelete({ metadata: { name: "a", namespace: "ns", uid: "u1", resourceVersion: "7" } }), false);
    assert.ok(informer.store.get("ns", "a"));
    assert.equal(informer.recordDelete({ metadata: { name: "a", namespace: "ns", uid: "u2", resourceVersion: "9" } }), true);
    assert.equal(informer.store.get("ns", "a"), undefined);
    assert.equal(informer.recordDelete({ metadata: {} }), false, "no name: nothing to remove");
  });

  it("hands out a read-only store (checked by the compiler)", () => {
    const informer = new Informer({ client: unused, type: configMaps });
    const write = (obj: KubeObject) => {
      // @ts-expect-error the store is a CacheReader: it has no write methods
      informer.store.upsertFromWrite(obj);
      // @ts-expect-error likewise for watch events
      informer.store.apply({ type: "ADDED", object: obj });
    };
    assert.equal(typeof write, "function"); // never called: the assertion is that this file compiles
  });
});
