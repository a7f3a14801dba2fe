import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ObjectMeta, V1Pod, V1Service } from "@kubernetes/client-node";
import { K8sType, KubernetesType, UnknownTypeError, createSyncRequest } from "../../../src/api/index.js";
import { K8sTypes, TypeRegistry } from "../../../src/registry/index.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

@KubernetesType({ apiVersion: "example.com/v1", kind: "Widget", namespaced: true })
class Widget {
  metadata!: V1ObjectMeta;
  spec!: { size: number };
}

const pod = (name: string, namespace = "ns", phase = "Running"): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, creationTimestamp: "2024-01-01T00:00:00Z" },
  status: { phase },
});
const children: KubeObject[] = [
  pod("a"),
  pod("b", "ns", "Pending"),
  { apiVersion: "v1", kind: "Service", metadata: { name: "svc", namespace: "ns" }, spec: { ports: [{ port: 80 }] } },
  { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "ns" }, spec: { size: 3, extra: "kept" } },
  { apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g" }, spec: {} },
  pod("a", "other"),
];
const parent: KubeObject = {
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "p", namespace: "ns", uid: "u" },
  spec: { size: 1 },
};

function request(registry = new TypeRegistry()) {
  return createSyncRequest<Widget>({ parent, children, registry, parentClass: Widget });
}

describe("SyncRequest", () => {
  it("parent is an instance of the parent class, converted once; raw is the wire object", () => {
    const req = request();
    assert.ok(req.parent instanceof Widget);
    assert.equal(req.parent.spec.size, 1);
    assert.equal(req.parent, req.parent);
    assert.equal(req.raw, parent);
    assert.equal(req.finalizing, false);
    assert.equal(req.signal.aborted, false);
  });

  it("without parentClass, the class registered for the parent's kind is used", () => {
    const registry = new TypeRegistry();
    registry.register(Widget);
    assert.ok(createSyncRequest<Widget>({ parent, children: [], registry }).parent instanceof Widget);
  });

  it("finalizing follows deletionTimestamp unless given; signal is passed through", () => {
    const ac = new AbortController();
    const deleting = { ...parent, metadata: { ...parent.metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } };
    const req = createSyncRequest({ parent: deleting, children: [], registry: new TypeRegistry(), signal: ac.signal });
    assert.equal(req.finalizing, true);
    ac.abort();
    assert.equal(req.signal.aborted, true);
    assert.equal(createSyncRequest({ parent: deleting, children: [], registry: new TypeRegistry(), finalizing: false }).finalizing, false);
  });

  it("a parent of a kind without a class is a plain copy", () => {
    const p = { apiVersion: "x.io/v1", kind: "Raw", metadata: { name: "r" } };
    const req = createSyncRequest({ parent: p, children: [], registry: new TypeRegistry() });
    assert.deepEqual(req.parent, p);
    assert.notEqual(req.parent, p);
  });
});

describe("TypedView", () => {
  it("ofType(V1Pod) gives real V1Pod instances, lazily and memoized", () => {
    const req = request();
    const pods = req.children.ofType(V1Pod);
    assert.equal(pods.count(), 3);
    assert.equal(pods.isEmpty(), false);
    const first = pods.first()!;
    assert.ok(first instanceof V1Pod);
    assert.ok(first.metadata!.creationTimestamp instanceof Date);
    assert.equal(first.status?.phase, "Running");
    assert.equal(pods.first(), first, "memoized");
    assert.equal(req.children.ofType(V1Pod), pods, "one view per type");
    assert.deepEqual(pods.type, K8sTypes.Pod);
  });

  it("get/exists by name, or by namespace and name", () => {
    const pods = request().children.ofType(V1Pod);
    assert.equal(pods.get("b")?.status?.phase, "Pending");
    assert.equal(pods.get("ns", "a")?.metadata?.namespace, "ns");
    assert.equal(pods.get("other", "a")?.metadata?.namespace, "other");
    assert.equal(pods.get("ns", "missing"), undefined);
    assert.equal(pods.exists("b"), true);
    assert.equal(pods.exists("other", "b"), false);
    const gadgets = request().children.ofType("example.com/v1", "Gadget");
    assert.equal(gadgets.get(undefined, "g")?.metadata?.name, "g", "cluster-scoped: no namespace");
    assert.equal(gadgets.exists("", "g"), true);
  });

  it("iteration, toArray and raw", () => {
    const pods = request().children.ofType(V1Pod);
    const names = [...pods].map((p) => p.metadata!.name);
    assert.deepEqual(names, ["a", "b", "a"]);
    assert.ok(pods.toArray().every((p) => p instanceof V1Pod));
    assert.deepEqual(pods.raw(), [children[0], children[1], children[5]]);
    assert.equal(pods.raw()[0], children[0], "raw gives the cache's objects, unconverted");
  });

  it("accepts a K8sType, { apiVersion, kind }, apiVersion + kind, and @KubernetesType classes", () => {
    const req = request();
    assert.ok(req.children.ofType(K8sTypes.Service).first() instanceof V1Service);
    assert.ok(req.children.ofType<V1Service>("v1", "Service").first() instanceof V1Service);
    assert.ok(req.children.ofType({ apiVersion: "v1", kind: "Service" }).first() instanceof V1Service);
    const w = req.children.ofType(Widget).first()!;
    assert.ok(w instanceof Widget);
    assert.equal((w.spec as unknown as { extra: string }).extra, "kept");
    const g = req.children.ofType(K8sType.of("example.com/v1", "Gadget")).first();
    assert.deepEqual(g, children[4]);
    assert.notEqual(g, children[4], "plain kinds are copies");
  });

  it("an empty view, and a class that is not a type", () => {
    const req = request();
    const jobs = req.children.ofType(K8sTypes.Job);
    assert.equal(jobs.isEmpty(), true);
    assert.equal(jobs.first(), undefined);
    assert.deepEqual(jobs.toArray(), []);
    class NotAType {}
    assert.throws(() => req.children.ofType(NotAType), UnknownTypeError);
    assert.equal(req.children.count(), children.length);
    assert.equal(req.children.raw(), children);
  });

  it("converts only what is read", () => {
    let conversions = 0;
    const registry = new TypeRegistry();
    const original = registry.toInstance.bind(registry);
    registry.toInstance = ((wire: KubeObject, cls?: never) => {
      conversions++;
      return original(wire, cls);
    }) as typeof registry.toInstance;
    const req = request(registry);
    const pods = req.children.ofType(V1Pod);
    assert.equal(conversions, 0);
    pods.count();
    pods.exists("a");
    pods.raw();
    assert.equal(conversions, 0);
    pods.get("b");
    assert.equal(conversions, 1);
    pods.toArray();
    assert.equal(conversions, 3);
    pods.toArray();
    assert.equal(conversions, 3);
  });
});

describe("the snapshot's wire objects are read-only", () => {
  it("an edit of req.raw or children.raw() in place throws instead of changing the cached objects", () => {
    const registry = new TypeRegistry();
    const parent: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p" }, data: { a: "1" } };
    const child: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } };
    const req = createSyncRequest({ parent, children: [child], registry });
    assert.throws(() => {
      (req.raw.data as Record<string, string>).a = "edited";
    }, TypeError);
    assert.throws(() => {
      (req.children.raw()[0]!.data as Record<string, string>).a = "edited";
    }, TypeError);
    assert.equal((child.data as Record<string, string>).a, "1");
    // Typed views and req.parent are the handler's own copies: editing them is fine.
    const copy = req.children.ofType<KubeObject>("v1", "ConfigMap").first()!;
    (copy.data as Record<string, string>).a = "mine";
    assert.equal((child.data as Record<string, string>).a, "1");
  });
});
