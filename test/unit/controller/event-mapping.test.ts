import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubeObject, ResourceType } from "../../../src/core/kube-object.js";
import type { StoreEvent } from "../../../src/cache/object-store.js";
import {
  childEventMapper,
  mapChildEvent,
  mapParentEvent,
  onlyStatusChanged,
  requestFromKey,
  requestKey,
  requestOf,
} from "../../../src/controller/event-mapping.js";

const namespacedParent: ResourceType = {
  group: "e2e.dev",
  version: "v1",
  apiVersion: "e2e.dev/v1",
  kind: "Web",
  plural: "webs",
  namespaced: true,
};
const clusterParent: ResourceType = {
  group: "samples.dev",
  version: "v1",
  apiVersion: "samples.dev/v1",
  kind: "TempNamespace",
  plural: "tempnamespaces",
  namespaced: false,
};

function parent(spec: unknown, extra: Partial<KubeObject> = {}, meta: Record<string, unknown> = {}): KubeObject {
  const metadata = { name: "w", namespace: "ns", uid: "u", resourceVersion: "1", generation: 1, ...meta };
  return { apiVersion: "e2e.dev/v1", kind: "Web", metadata, spec, ...extra };
}

function child(owner: ResourceType, ownerName: string, namespace: string | undefined, controller = true): KubeObject {
  return {
    apiVersion: "v1",
    kind: namespace ? "ConfigMap" : "Namespace",
    metadata: {
      name: "c",
      ...(namespace ? { namespace } : {}),
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: ownerName, uid: "u", controller }],
    },
  };
}

const event = (type: StoreEvent["type"], object: KubeObject, oldObject?: KubeObject): StoreEvent =>
  oldObject ? { type, object, oldObject } : { type, object };

describe("reconcile requests", () => {
  it("have one key, and the key gives the request back", () => {
    assert.equal(requestKey({ namespace: "ns", name: "a" }), "ns/a");
    assert.equal(requestKey({ name: "a" }), "a");
    for (const request of [{ namespace: "ns", name: "a" }, { name: "a" }]) assert.deepEqual(requestFromKey(requestKey(request)), request);
    assert.deepEqual(requestOf(parent({})), { namespace: "ns", name: "w" });
    assert.deepEqual(requestOf({ metadata: { name: "cluster" } }), { name: "cluster" });
  });
});

describe("mapParentEvent", () => {
  it("enqueues additions and spec changes, ignores status-only changes, forgets deletions", () => {
    assert.deepEqual(mapParentEvent(event("ADDED", parent({ a: 1 }))), { action: "enqueue", request: { namespace: "ns", name: "w" } });
    const old = parent({ a: 1 });
    assert.equal(mapParentEvent(event("MODIFIED", parent({ a: 2 }, {}, { generation: 2, resourceVersion: "2" }), old)).action, "enqueue");
    const statusOnly = parent({ a: 1 }, { status: { ok: true } }, { resourceVersion: "2" });
    assert.equal(mapParentEvent(event("MODIFIED", statusOnly, old)).action, "ignore");
    assert.equal(mapParentEvent(event("MODIFIED", parent({ a: 1 }))).action, "enqueue", "no old object: enqueue");
    assert.equal(mapParentEvent(event("DELETED", parent({ a: 1 }))).action, "forget");
  });
});

describe("mapChildEvent", () => {
  it("maps a child to the parent its controller ownerReference names, in the child's namespace", () => {
    const owner = { parent: namespacedParent };
    assert.deepEqual(mapChildEvent(event("DELETED", child(namespacedParent, "w", "ns")), owner), [{ namespace: "ns", name: "w" }]);
    assert.deepEqual(mapChildEvent(event("ADDED", child(namespacedParent, "w", "ns", false)), owner), [], "not the controller");
    assert.deepEqual(mapChildEvent(event("ADDED", child(clusterParent, "w", "ns")), { parent: namespacedParent }), [], "another kind");
    const otherGroup = { ...namespacedParent, group: "other.dev", apiVersion: "other.dev/v1" };
    assert.deepEqual(mapChildEvent(event("ADDED", child(otherGroup, "w", "ns")), { parent: namespacedParent }), [], "another group");
  });

  it("limits namespaced parents to the operator's namespace", () => {
    const owner = { parent: namespacedParent, namespaces: ["ns"] };
    assert.deepEqual(mapChildEvent(event("MODIFIED", child(namespacedParent, "w", "ns")), owner), [{ namespace: "ns", name: "w" }]);
    assert.deepEqual(mapChildEvent(event("MODIFIED", child(namespacedParent, "w", "elsewhere")), owner), []);
    const clusterScoped = child(namespacedParent, "w", undefined);
    assert.deepEqual(mapChildEvent(event("MODIFIED", clusterScoped), owner), [], "a namespaced parent owns no cluster-scoped object");
  });

  it("ignores the children another operator wrote on the same parent (two operators, one parent type)", () => {
    const owner = { parent: namespacedParent, operator: "a" };
    const labelled = (operator: string): KubeObject => {
      const obj = child(namespacedParent, "w", "ns");
      return { ...obj, metadata: { ...obj.metadata, labels: { "tsoperator.dev/operator": operator } } };
    };
    assert.deepEqual(mapChildEvent(event("MODIFIED", labelled("a")), owner), [{ namespace: "ns", name: "w" }]);
    assert.deepEqual(mapChildEvent(event("MODIFIED", labelled("b")), owner), []);
    // Children written before the operator label: mapped (the reconciler decides whose they are).
    assert.deepEqual(mapChildEvent(event("MODIFIED", child(namespacedParent, "w", "ns")), owner), [{ namespace: "ns", name: "w" }]);
  });

  it("maps a cluster-scoped parent's children whatever the operator's namespace (issue 9 item 9)", () => {
    const owner = { parent: clusterParent, namespace: "scoped" };
    assert.deepEqual(mapChildEvent(event("DELETED", child(clusterParent, "scratch", undefined)), owner), [{ name: "scratch" }]);
    assert.deepEqual(mapChildEvent(event("DELETED", child(clusterParent, "scratch", "anywhere")), owner), [{ name: "scratch" }]);
    const unscoped = { parent: clusterParent };
    assert.deepEqual(mapChildEvent(event("DELETED", child(clusterParent, "scratch", undefined)), unscoped), [{ name: "scratch" }]);
  });
});

describe("onlyStatusChanged", () => {
  it("is true for status, resourceVersion and managedFields changes only", () => {
    const old = parent({ a: 1 }, { status: { x: 1 } });
    const bookkeeping = { resourceVersion: "9", managedFields: [{ manager: "m" }] };
    assert.equal(onlyStatusChanged(old, parent({ a: 1 }, { status: { x: 2 } }, bookkeeping)), true);
    assert.equal(onlyStatusChanged(old, parent({ a: 2 }, { status: { x: 1 } })), false, "spec");
    assert.equal(onlyStatusChanged(old, parent({ a: 1 }, { status: { x: 1 } }, { labels: { l: "v" } })), false, "labels");
    const deleting = { deletionTimestamp: "2026-01-01T00:00:00Z" };
    assert.equal(onlyStatusChanged(old, parent({ a: 1 }, { status: { x: 1 } }, deleting)), false, "deletion");
    assert.equal(onlyStatusChanged(old, parent({ a: 1 }, { status: { x: 1 } }, { generation: 2 })), false, "generation");
  });
});

describe("childEventMapper", () => {
  it("is mapChildEvent bound to one operator", () => {
    const mapper = childEventMapper({ parent: clusterParent, namespaces: ["scoped"] });
    assert.deepEqual(mapper(event("DELETED", child(clusterParent, "scratch", undefined))), [{ name: "scratch" }]);
  });
});
