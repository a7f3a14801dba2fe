/**
 * The informer as the only writer of its cache: write answers and deletes go in through
 * recordWrite / recordDelete, with type meta filled and the transform applied, and reach readers
 * (not listeners). The informer is never started here: no list or watch is involved.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject, ResourceType, WatchEvent } from "../../../src/core/kube-object.js";
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

  it("an event that echoes a recorded write reuses the cached answer; any other event is transformed", async () => {
    let transforms = 0;
    const cm = (uid: string, rv: string, value: string): KubeObject => ({
      metadata: { name: "a", namespace: "ns", uid, resourceVersion: rv },
      data: { value },
    });
    const events: WatchEvent[] = [
      { type: "MODIFIED", object: cm("u", "5", "written") }, // the echo of the write below
      { type: "MODIFIED", object: cm("u", "6", "changed by someone else") },
      { type: "DELETED", object: cm("u", "7", "changed by someone else") },
      { type: "ADDED", object: cm("u2", "7", "re-created") }, // same name, new uid: never the cached answer
    ];
    const stop = new AbortController();
    const client: ListWatchClient = {
      list: async () => ({ items: [], resourceVersion: "1" }),
      watch: () =>
        (async function* () {
          yield* events;
          await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
        })(),
    };
    const informer = new Informer({
      client,
      type: configMaps,
      transform: (obj) => {
        transforms++;
        return { ...obj, metadata: { ...obj.metadata, annotations: { transformed: "yes" } } };
      },
    });
    const heard: InformerEvent[] = [];
    informer.on((e) => heard.push(e));
    informer.recordWrite(cm("u", "5", "written"));
    const answer = informer.store.get("ns", "a");
    assert.equal(transforms, 1);
    const running = informer.start(stop.signal);
    while (heard.length < events.length) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort();
    await running;
    assert.equal(heard[0]!.object, answer, "the echo reuses the cached answer");
    assert.equal(transforms, 1 + 3, "every other event went through the transform");
    assert.deepEqual(
      heard.map((e) => [
        e.type,
        e.object.metadata?.uid,
        e.object.metadata?.resourceVersion,
        (e.object as { data?: { value?: string } }).data?.value,
        e.object.metadata?.annotations?.transformed,
      ]),
      [
        ["MODIFIED", "u", "5", "written", "yes"],
        ["MODIFIED", "u", "6", "changed by someone else", "yes"],
        ["DELETED", "u", "7", "changed by someone else", "yes"],
        ["ADDED", "u2", "7", "re-created", "yes"],
      ],
    );
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
