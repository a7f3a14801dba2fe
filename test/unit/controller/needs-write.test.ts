import { test } from "node:test";
import assert from "node:assert/strict";
import { isSubset, needsWrite, ownedFieldRemoved, ownedFields } from "../../../src/controller/needs-write.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const existing: KubeObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "a",
    namespace: "ns",
    uid: "u1",
    resourceVersion: "7",
    labels: { app: "x", "tsoperator.dev/parent-uid": "p1" },
    managedFields: [
      {
        manager: "op",
        operation: "Apply",
        fieldsV1: { "f:data": { "f:k": {} }, "f:metadata": { "f:labels": { "f:app": {}, "f:tsoperator.dev/parent-uid": {} } } },
      },
      { manager: "kubectl", operation: "Update", fieldsV1: { "f:data": { "f:other": {} } } },
    ],
  },
  data: { k: "v", other: "o" },
};

test("a desired object contained in the cached one needs no write", () => {
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", namespace: "ns", labels: { app: "x", "tsoperator.dev/parent-uid": "p1" } },
    data: { k: "v" },
  };
  assert.equal(needsWrite(desired, existing, "op"), false);
});

test("a changed value needs a write", () => {
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { app: "x", "tsoperator.dev/parent-uid": "p1" } },
    data: { k: "changed" },
  };
  assert.equal(needsWrite(desired, existing, "op"), true);
});

test("a label our manager owns but no longer desires needs a write", () => {
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { "tsoperator.dev/parent-uid": "p1" } },
    data: { k: "v" },
  };
  assert.equal(isSubset(desired, existing), true);
  assert.equal(ownedFieldRemoved(desired, existing, "op"), true);
  assert.equal(needsWrite(desired, existing, "op"), true);
});

test("fields owned by another manager are not ours to remove", () => {
  const desired = { metadata: { name: "a", labels: { app: "x", "tsoperator.dev/parent-uid": "p1" } }, data: { k: "v" } };
  assert.equal(ownedFieldRemoved(desired, existing, "op"), false);
});

test("arrays compare by length and element", () => {
  assert.equal(isSubset([{ a: 1 }], [{ a: 1, b: 2 }]), true);
  assert.equal(isSubset([{ a: 1 }], [{ a: 1 }, { a: 2 }]), false);
  assert.equal(isSubset([{ a: 1 }, { a: 2 }], [{ a: 2 }, { a: 1 }]), false);
});

test("empty maps and lists match absent values; null matches only absence", () => {
  assert.equal(isSubset({ data: {} }, {}), true);
  assert.equal(isSubset({ items: [] }, {}), true);
  assert.equal(isSubset({ x: null }, {}), true);
  assert.equal(isSubset({ x: null }, { x: 1 }), false);
  assert.equal(isSubset({ x: undefined }, { x: 1 }), true);
});

test("an int-or-string port compares by value", () => {
  assert.equal(isSubset({ targetPort: 8080 }, { targetPort: "8080" }), true);
  assert.equal(isSubset({ targetPort: 8080 }, { targetPort: 8081 }), false);
});

test("status in a desired child is ignored", () => {
  const desired = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { app: "x", "tsoperator.dev/parent-uid": "p1" } },
    data: { k: "v" },
    status: { x: 1 },
  };
  assert.equal(needsWrite(desired, existing, "op"), false);
});

const pod = (volumes: object[], managed: object): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", managedFields: [{ manager: "op", operation: "Apply", fieldsV1: managed as never }] },
  spec: { volumes },
});
const ownsVolumeA = { "f:spec": { "f:volumes": { 'k:{"name":"a"}': { ".": {}, "f:name": {}, "f:emptyDir": {} } } } };

test("items that admission added to an associative list we own item by item are not a difference", () => {
  const existing = pod(
    [
      { name: "a", emptyDir: {} },
      { name: "kube-api-access", projected: {} },
    ],
    ownsVolumeA,
  );
  const desired = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { volumes: [{ name: "a", emptyDir: {} }] } };
  assert.equal(needsWrite(desired, existing, "op"), false);
});

test("an item we own but no longer desire in an associative list needs a write", () => {
  const existing = pod(
    [
      { name: "a", emptyDir: {} },
      { name: "b", emptyDir: {} },
    ],
    {
      "f:spec": { "f:volumes": { 'k:{"name":"a"}': { "f:name": {} }, 'k:{"name":"b"}': { "f:name": {} } } },
    },
  );
  const desired = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { volumes: [{ name: "a", emptyDir: {} }] } };
  assert.equal(needsWrite(desired, existing, "op"), true);
});

test("atomic lists (no item entries) must match exactly: a removed argument needs a write", () => {
  const existing: KubeObject = {
    metadata: { name: "p", managedFields: [{ manager: "op", operation: "Apply", fieldsV1: { "f:args": {} } }] },
    args: ["-a", "-b"],
  };
  assert.equal(needsWrite({ metadata: { name: "p" }, args: ["-a"] }, existing, "op"), true);
  assert.equal(needsWrite({ metadata: { name: "p" }, args: ["-a", "-b"] }, existing, "op"), false);
});

test("without our managedFields a list must match exactly (never skip a write we cannot justify)", () => {
  const existing = pod([{ name: "a" }, { name: "b" }], {});
  const desired = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { volumes: [{ name: "a" }] } };
  assert.equal(needsWrite(desired, existing, "op"), true);
});

test("list item keys that include server-defaulted fields still name the desired item", () => {
  const existing: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: "s",
      managedFields: [
        {
          manager: "op",
          operation: "Apply",
          fieldsV1: {
            "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { ".": {}, "f:name": {}, "f:port": {}, "f:targetPort": {} } } },
          },
        },
      ],
    },
    spec: { ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }], clusterIP: "10.0.0.7" },
  };
  const desired = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "s" },
    spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] },
  };
  assert.equal(needsWrite(desired, existing, "op"), false);
  const changed = { ...desired, spec: { ports: [{ name: "http", port: 81, targetPort: 8080 }] } };
  assert.equal(needsWrite(changed, existing, "op"), true);
});

test("Update entries (create/replace) list server defaults too, so they are never read as removals", () => {
  const existing: KubeObject = {
    metadata: {
      name: "p",
      managedFields: [{ manager: "op", operation: "Update", fieldsV1: { "f:spec": { "f:dnsPolicy": {}, "f:restartPolicy": {} } } }],
    },
    spec: { dnsPolicy: "ClusterFirst", restartPolicy: "Always", containers: [{ name: "c" }] },
  };
  assert.equal(needsWrite({ metadata: { name: "p" }, spec: { containers: [{ name: "c" }] } }, existing, "op"), false);
});

test("fieldsV1 kept as a JSON string (as the caches store it) reads the same as the tree", () => {
  const tree = { "f:data": { "f:k": {} }, "f:metadata": { "f:labels": { "f:app": {}, "f:tsoperator.dev/parent-uid": {} } } };
  const cached: KubeObject = {
    ...existing,
    metadata: { ...existing.metadata, managedFields: [{ manager: "op", operation: "Apply", fieldsV1: JSON.stringify(tree) }] },
  };
  const dropped = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { "tsoperator.dev/parent-uid": "p1" } },
    data: { k: "v" },
  };
  assert.equal(needsWrite(dropped, cached, "op"), true);
  const same = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "a", labels: { app: "x", "tsoperator.dev/parent-uid": "p1" } },
    data: { k: "v" },
  };
  assert.equal(needsWrite(same, cached, "op"), false);
});

test("a fieldsV1 text seen again is shared and frozen (no check can change another's); one seen once is its caller's own", () => {
  const fieldsV1 = JSON.stringify({ "f:data": { "f:a": {}, "f:b": {} } });
  const child = (rv: string): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", resourceVersion: rv, managedFields: [{ manager: "op", operation: "Apply", fieldsV1 }] },
    data: { a: "1", b: "2" },
  });
  const first = ownedFields(child("1"), "op")!;
  assert.equal(Object.isFrozen(first["f:data"]), false, "a first sighting is not kept, so not frozen");
  const second = ownedFields(child("2"), "op")!;
  const third = ownedFields(child("3"), "op")!;
  assert.equal(second["f:data"], third["f:data"], "one parsed tree for a text that repeats");
  assert.notEqual(first["f:data"], second["f:data"], "the first tree is not shared");
  assert.ok(Object.isFrozen(second["f:data"]), "the shared tree is frozen");
  assert.throws(() => {
    (second["f:data"] as Record<string, unknown>)["f:c"] = {};
  }, TypeError);
  // Still read right: b dropped from the desired object is a field we own and no longer want.
  assert.equal(needsWrite({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } }, child("4"), "op"), true);
  assert.equal(
    needsWrite({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1", b: "2" } }, child("4"), "op"),
    false,
  );
});

test("texts seen once (a child's holds its parent's uid) do not push a repeating text out of the table", () => {
  const entry = (fieldsV1: string): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", managedFields: [{ manager: "op", operation: "Apply", fieldsV1 }] },
  });
  const repeating = JSON.stringify({ "f:status": { "f:phase": {}, "f:observedGeneration": {} } });
  ownedFields(entry(repeating), "op");
  const kept = ownedFields(entry(repeating), "op")!;
  // A start over a backlog: thousands of unique texts, each checked once.
  for (let i = 0; i < 5_000; i++) {
    ownedFields(entry(JSON.stringify({ "f:metadata": { "f:ownerReferences": { [`k:{"uid":"${i}"}`]: {} } } })), "op");
  }
  assert.equal(ownedFields(entry(repeating), "op")!["f:status"], kept["f:status"], "the repeating text is still a lookup");
});
