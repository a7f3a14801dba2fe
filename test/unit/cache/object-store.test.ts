import { describe, it, test } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject } from "../../../src/core/kube-object.js";
import { ObjectStore, keyOf, objectKey } from "../../../src/cache/object-store.js";

const PARENT = "tsoperator.dev/parent-uid";

function cm(
  name: string,
  rv: string,
  opts: { ns?: string | null; labels?: Record<string, string>; uid?: string; data?: string } = {},
): KubeObject {
  const ns = opts.ns === null ? undefined : (opts.ns ?? "default");
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      ...(ns ? { namespace: ns } : {}),
      resourceVersion: rv,
      uid: opts.uid ?? `uid-${name}`,
      ...(opts.labels ? { labels: opts.labels } : {}),
    },
    data: { v: opts.data ?? rv },
  };
}

describe("ObjectStore", () => {
  it("keys objects by namespace/name, cluster-scoped ones by name", () => {
    assert.equal(objectKey("ns", "a"), "ns/a");
    assert.equal(objectKey(undefined, "a"), "a");
    assert.equal(keyOf(cm("n1", "1", { ns: null })), "n1");
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: cm("a", "1") });
    store.apply({ type: "ADDED", object: cm("node-1", "2", { ns: null }) });
    assert.equal(store.size, 2);
    assert.equal(store.get("default", "a")?.metadata?.resourceVersion, "1");
    assert.equal(store.get(undefined, "node-1")?.metadata?.name, "node-1");
    assert.equal(store.getByKey("default/a")?.metadata?.name, "a");
    assert.deepEqual(store.keys().sort(), ["default/a", "node-1"]);
    assert.equal(store.list().length, 2);
  });

  it("indexes configured labels and keeps the index in step with changes", () => {
    const store = new ObjectStore([PARENT]);
    store.apply({ type: "ADDED", object: cm("a", "1", { labels: { [PARENT]: "p1" } }) });
    store.apply({ type: "ADDED", object: cm("b", "2", { labels: { [PARENT]: "p1" } }) });
    store.apply({ type: "ADDED", object: cm("c", "3", { labels: { [PARENT]: "p2" } }) });
    assert.deepEqual(
      store
        .byLabel(PARENT, "p1")
        .map((o) => o.metadata?.name)
        .sort(),
      ["a", "b"],
    );
    store.apply({ type: "MODIFIED", object: cm("b", "4", { labels: { [PARENT]: "p2" } }) });
    assert.deepEqual(
      store.byLabel(PARENT, "p1").map((o) => o.metadata?.name),
      ["a"],
    );
    assert.deepEqual(
      store
        .byLabel(PARENT, "p2")
        .map((o) => o.metadata?.name)
        .sort(),
      ["b", "c"],
    );
    store.apply({ type: "DELETED", object: cm("a", "5", { labels: { [PARENT]: "p1" } }) });
    assert.deepEqual(store.byLabel(PARENT, "p1"), []);
    store.apply({ type: "MODIFIED", object: cm("c", "6") }); // label removed
    assert.deepEqual(
      store.byLabel(PARENT, "p2").map((o) => o.metadata?.name),
      ["b"],
    );
    assert.throws(() => store.byLabel("other", "x"), /not indexed/);
    store.apply({ type: "ADDED", object: cm("d", "7", { labels: { other: "x" } }) });
    store.addIndex("other");
    assert.deepEqual(
      store.byLabel("other", "x").map((o) => o.metadata?.name),
      ["d"],
    );
  });

  it("apply ignores events older than the stored object and reports the rest with oldObject", () => {
    const store = new ObjectStore();
    assert.deepEqual(store.apply({ type: "ADDED", object: cm("a", "10") }), { type: "ADDED", object: cm("a", "10") });
    assert.equal(store.apply({ type: "MODIFIED", object: cm("a", "9") }), undefined);
    assert.equal(store.get("default", "a")?.metadata?.resourceVersion, "10");
    const ev = store.apply({ type: "MODIFIED", object: cm("a", "11") });
    assert.equal(ev?.type, "MODIFIED");
    assert.equal(ev?.oldObject?.metadata?.resourceVersion, "10");
    assert.equal(store.apply({ type: "DELETED", object: cm("a", "8") }), undefined, "stale delete (recreated object) ignored");
    const del = store.apply({ type: "DELETED", object: cm("a", "12") });
    assert.equal(del?.type, "DELETED");
    assert.equal(store.size, 0);
    assert.equal(store.apply({ type: "BOOKMARK", object: { metadata: { resourceVersion: "13" } } }), undefined);
  });

  it("apply accepts versions it cannot order", () => {
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: cm("a", "10") });
    assert.ok(store.apply({ type: "MODIFIED", object: cm("a", "opaque") }));
    assert.equal(store.get("default", "a")?.metadata?.resourceVersion, "opaque");
  });

  it("replace reports ADDED, MODIFIED and DELETED against the previous content", () => {
    const store = new ObjectStore([PARENT]);
    store.replace([cm("keep", "1"), cm("change", "2"), cm("gone", "3", { labels: { [PARENT]: "p" } })], "3");
    assert.equal(store.resourceVersion, "3");
    const events = store.replace([cm("keep", "1"), cm("change", "7"), cm("new", "8")], "9");
    const summary = events.map((e) => `${e.type}:${e.object.metadata?.name}`).sort();
    assert.deepEqual(summary, ["ADDED:new", "DELETED:gone", "MODIFIED:change"]);
    const modified = events.find((e) => e.type === "MODIFIED");
    assert.equal(modified?.oldObject?.metadata?.resourceVersion, "2");
    assert.equal(store.size, 3);
    assert.deepEqual(store.byLabel(PARENT, "p"), []);
    assert.equal(store.resourceVersion, "9");
  });

  it("replace keeps objects a write made newer than the list", () => {
    const store = new ObjectStore();
    store.replace([cm("a", "5")], "5");
    store.upsertFromWrite(cm("a", "20")); // our write, after the list was served
    store.upsertFromWrite(cm("created", "21"));
    const events = store.replace([cm("a", "5")], "10");
    assert.deepEqual(events, []);
    assert.equal(store.get("default", "a")?.metadata?.resourceVersion, "20");
    assert.ok(store.get("default", "created"));
  });

  it("upsertFromWrite stores only newer objects", () => {
    const store = new ObjectStore();
    assert.equal(store.upsertFromWrite(cm("a", "5")), true);
    assert.equal(store.upsertFromWrite(cm("a", "4")), false);
    assert.equal(store.upsertFromWrite(cm("a", "5")), false);
    assert.equal(store.upsertFromWrite(cm("a", "6")), true);
    assert.equal(store.get("default", "a")?.metadata?.resourceVersion, "6");
  });

  it("removeFromWrite keeps an object recreated at a newer version", () => {
    const store = new ObjectStore();
    store.upsertFromWrite(cm("a", "6"));
    assert.equal(store.removeFromWrite("default", "a", "5"), false);
    assert.equal(store.removeFromWrite("default", "a", "6"), true);
    assert.equal(store.size, 0);
    store.upsertFromWrite(cm("b", "1"));
    assert.equal(store.removeFromWrite("default", "b"), true);
    assert.equal(store.removeFromWrite("default", "missing"), false);
  });
});

test("a write's answer that arrives after the object's DELETED event does not bring it back", () => {
  const store = new ObjectStore();
  const live = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", uid: "u1", resourceVersion: "5" } };
  store.apply({ type: "ADDED", object: live });
  store.apply({ type: "DELETED", object: { ...live, metadata: { ...live.metadata, resourceVersion: "7" } } });
  const lateAnswer = { ...live, metadata: { ...live.metadata, resourceVersion: "6", deletionTimestamp: "2026-01-01T00:00:00Z" } };
  assert.equal(store.upsertFromWrite(lateAnswer), false);
  assert.equal(store.get("ns", "p"), undefined);
  // A new object under the same name (new uid) is welcome.
  assert.equal(store.upsertFromWrite({ ...live, metadata: { ...live.metadata, uid: "u2", resourceVersion: "9" } }), true);
});

describe("ObjectStore: a write answer never hides a watch event (issue 9 item 1)", () => {
  const parent = (rv: string, generation: number, spec: string, status?: string): KubeObject => ({
    apiVersion: "e2e/v1",
    kind: "P",
    metadata: { name: "p", namespace: "ns", uid: "u", resourceVersion: rv, generation },
    spec: { message: spec },
    ...(status ? { status: { message: status } } : {}),
  });

  it("an event older than a write answer is still dispatched, against what listeners saw; readers keep the answer", () => {
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: parent("10", 1, "one") });
    // The sync's status write answers with the spec change that landed meanwhile (rv 11).
    assert.equal(store.upsertFromWrite(parent("12", 2, "two", "one")), true);
    const specChange = store.apply({ type: "MODIFIED", object: parent("11", 2, "two") });
    assert.ok(specChange, "the spec change's event reaches listeners");
    assert.equal(specChange.oldObject?.metadata?.resourceVersion, "10", "compared with what listeners saw");
    assert.equal(store.get("ns", "p")?.metadata?.resourceVersion, "12", "readers keep the newer answer");
    const statusWrite = store.apply({ type: "MODIFIED", object: parent("12", 2, "two", "one") });
    assert.equal(statusWrite?.oldObject?.metadata?.resourceVersion, "11");
    assert.equal(store.apply({ type: "MODIFIED", object: parent("11", 2, "two") }), undefined, "a replayed event is stale");
  });

  it("a relist diffs against what listeners saw, not against a write answer", () => {
    const store = new ObjectStore();
    store.replace([parent("10", 1, "one")], "10");
    store.upsertFromWrite(parent("12", 2, "two", "one"));
    const events = store.replace([parent("12", 2, "two", "one")], "12");
    const seen = events.map((e) => [e.type, e.oldObject?.metadata?.resourceVersion, e.object.metadata?.resourceVersion]);
    assert.deepEqual(seen, [["MODIFIED", "10", "12"]]);
  });

  it("an object known only from a create answer is ADDED when the watch or a list reports it", () => {
    const store = new ObjectStore();
    store.upsertFromWrite(cm("a", "5"));
    const added = store.apply({ type: "ADDED", object: cm("a", "5") });
    assert.equal(added?.type, "ADDED");
    assert.equal(added?.oldObject, undefined);
    const other = new ObjectStore();
    other.upsertFromWrite(cm("b", "5"));
    assert.deepEqual(
      other.replace([cm("b", "5")], "6").map((e) => e.type),
      ["ADDED"],
    );
  });

  it("a delete recorded from a write leaves listeners' view alone until the watch reports it", () => {
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: cm("a", "5") });
    assert.equal(store.removeFromWrite("default", "a", "5"), true);
    assert.equal(store.get("default", "a"), undefined);
    const deleted = store.apply({ type: "DELETED", object: cm("a", "6") });
    assert.equal(deleted?.type, "DELETED");
    assert.equal(deleted?.oldObject?.metadata?.resourceVersion, "5");
    // And a relist without the object reports the delete when the watch missed it.
    const other = new ObjectStore();
    other.replace([cm("b", "5")], "5");
    other.removeFromWrite("default", "b", "5");
    assert.deepEqual(
      other.replace([], "7").map((e) => e.type),
      ["DELETED"],
    );
  });

  it("a DELETED event of an object our write re-created meanwhile keeps the re-created one for readers", () => {
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: cm("a", "5", { uid: "old" }) });
    store.upsertFromWrite(cm("a", "9", { uid: "new" }));
    const deleted = store.apply({ type: "DELETED", object: cm("a", "7", { uid: "old" }) });
    assert.equal(deleted?.type, "DELETED", "listeners learn the old one is gone");
    assert.equal(store.get("default", "a")?.metadata?.uid, "new");
  });

  it("an answer guarded by the version listeners saw becomes their base; an unguarded one or another base does not", () => {
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: parent("10", 1, "one") });
    const withFinalizer = { ...parent("11", 1, "one"), metadata: { ...parent("11", 1, "one").metadata, finalizers: ["f"] } };
    store.upsertFromWrite(withFinalizer, "10");
    const own = store.apply({ type: "MODIFIED", object: withFinalizer });
    assert.equal(own?.oldObject, withFinalizer, "its own event compares equal: no news for the handler that saw the answer");
    // Guarded by a version listeners have not seen (a write answer ahead of them): they keep their base.
    const other = new ObjectStore();
    other.apply({ type: "ADDED", object: parent("10", 1, "one") });
    other.upsertFromWrite(parent("12", 2, "two", "one"));
    other.upsertFromWrite({ ...parent("13", 2, "two", "one"), metadata: { ...parent("13", 2, "two").metadata, finalizers: ["f"] } }, "12");
    assert.equal(other.apply({ type: "MODIFIED", object: parent("11", 2, "two") })?.oldObject?.metadata?.resourceVersion, "10");
  });

  it("a wall-clock step does not expire tombstones: a late answer of a deleted object stays out", () => {
    const store = new ObjectStore();
    store.apply({ type: "ADDED", object: cm("a", "5", { uid: "u1" }) });
    store.apply({ type: "DELETED", object: cm("a", "6", { uid: "u1" }) });
    const realNow = Date.now;
    Date.now = () => realNow() + 3_600_000; // NTP steps the clock an hour forward
    try {
      store.apply({ type: "DELETED", object: cm("other", "7", { uid: "u2" }) }); // a later delete ages the tombstones
      assert.equal(store.upsertFromWrite(cm("a", "5", { uid: "u1", data: "late" })), false, "the deleted object came back");
    } finally {
      Date.now = realNow;
    }
  });

  it("tombstones expire after five minutes of the store's monotonic clock", () => {
    let now = 1_000;
    const store = new ObjectStore([], () => now);
    store.apply({ type: "ADDED", object: cm("a", "5", { uid: "u1" }) });
    store.apply({ type: "DELETED", object: cm("a", "6", { uid: "u1" }) });
    assert.equal(store.upsertFromWrite(cm("a", "7", { uid: "u1" })), false);
    now += 5 * 60_000;
    store.apply({ type: "DELETED", object: cm("other", "8", { uid: "u2" }) }); // ages the tombstones
    assert.equal(store.upsertFromWrite(cm("a", "9", { uid: "u1" })), true);
  });
});
