import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import { InvalidChildError, KubernetesType, validateDesiredChildren, type ChildValidationContext } from "../../../src/api/index.js";
import { K8sTypes, TypeRegistry } from "../../../src/registry/index.js";

@KubernetesType({ apiVersion: "example.com/v1", kind: "Widget", namespaced: true })
class Widget {
  metadata!: V1ObjectMeta;
  spec?: object;
}

const registry = new TypeRegistry();
const namespacedParent: ChildValidationContext = {
  registry,
  parentNamespace: "team-a",
  parentNamespaced: true,
  childTypes: [K8sTypes.Pod, K8sTypes.Service, { apiVersion: "example.com/v1", kind: "Widget" }],
};
const clusterParent: ChildValidationContext = {
  registry,
  parentNamespaced: false,
  childTypes: [K8sTypes.Namespace, K8sTypes.ConfigMap],
};
const cm = (name: string, namespace?: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, ...(namespace ? { namespace } : {}) },
});
const podW = (name: string, namespace?: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
  spec: { containers: [] },
});

function problemsOf(children: unknown[], ctx: ChildValidationContext) {
  try {
    validateDesiredChildren(children, ctx);
  } catch (e) {
    assert.ok(e instanceof InvalidChildError, String(e));
    return e;
  }
  assert.fail("expected InvalidChildError");
}

describe("validateDesiredChildren: valid output", () => {
  it("defaults the parent's namespace, converts instances, returns fresh wire objects", () => {
    const pod = new V1Pod();
    pod.metadata = { name: "from-class" };
    const w = new Widget();
    w.metadata = { name: "w" } as V1ObjectMeta;
    const plain = podW("plain");
    const out = validateDesiredChildren([plain, pod, w, podW("explicit", "team-a")], namespacedParent);
    assert.deepEqual(
      out.map((o) => [o.apiVersion, o.kind, o.metadata?.namespace, o.metadata?.name]),
      [
        ["v1", "Pod", "team-a", "plain"],
        ["v1", "Pod", "team-a", "from-class"],
        ["example.com/v1", "Widget", "team-a", "w"],
        ["v1", "Pod", "team-a", "explicit"],
      ],
    );
    assert.equal((plain.metadata as { namespace?: string }).namespace, undefined, "input not mutated");
    assert.notEqual(out[0], plain);
  });

  it("a cluster-scoped parent owns cluster-scoped children and namespaced ones with a namespace", () => {
    const out = validateDesiredChildren(
      [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "tmp" } }, cm("c", "tmp")],
      clusterParent,
    );
    assert.equal(out.length, 2);
    assert.equal(out[0]!.metadata?.namespace, undefined);
  });

  it("an empty list is valid", () => {
    assert.deepEqual(validateDesiredChildren([], namespacedParent), []);
  });

  it("without a registry, plain objects pass and instances are problems", () => {
    const ctx = { ...namespacedParent, registry: undefined };
    assert.equal(validateDesiredChildren([podW("a")], ctx).length, 1);
    const pod = new V1Pod();
    assert.match(problemsOf([pod], ctx).message, /cannot be converted without a registry/);
  });
});

describe("validateDesiredChildren: every invalid case", () => {
  const cases: [string, unknown[], ChildValidationContext, RegExp][] = [
    ["not an object (string)", ["pod"], namespacedParent, /#0: is string, not an object/],
    ["not an object (null)", [null], namespacedParent, /is null, not an object/],
    ["not an object (array)", [[podW("a")]], namespacedParent, /is an array/],
    ["no apiVersion", [{ kind: "Pod", metadata: { name: "a" } }], namespacedParent, /has no apiVersion/],
    ["no kind", [{ apiVersion: "v1", metadata: { name: "a" } }], namespacedParent, /has no kind/],
    [
      "a kind that is not a child type",
      [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } }],
      namespacedParent,
      /apps\/v1 Deployment is not a child type of this operator \(child types: v1 Pod, v1 Service, example.com\/v1 Widget\)/,
    ],
    [
      "an unregistered class",
      [
        new (class Mystery {
          metadata = { name: "m" };
        })(),
      ],
      namespacedParent,
      /cannot be converted to wire JSON: class Mystery is not a registered Kubernetes type/,
    ],
    ["no name", [{ apiVersion: "v1", kind: "Pod", metadata: {} }], namespacedParent, /has no metadata.name/],
    ["no metadata at all", [{ apiVersion: "v1", kind: "Pod" }], namespacedParent, /has no metadata.name/],
    [
      "generateName only",
      [{ apiVersion: "v1", kind: "Pod", metadata: { generateName: "p-" } }],
      namespacedParent,
      /has generateName but no metadata.name/,
    ],
    ["metadata not an object", [{ apiVersion: "v1", kind: "Pod", metadata: "x" }], namespacedParent, /metadata must be an object/],
    [
      "another namespace than the parent's",
      [podW("a", "team-b")],
      namespacedParent,
      /is in namespace "team-b" but the parent is in "team-a"/,
    ],
    [
      "a namespaced child of a cluster-scoped parent without namespace",
      [cm("c")],
      clusterParent,
      /v1 ConfigMap is namespaced and the parent is cluster-scoped: set metadata.namespace/,
    ],
    [
      "a cluster-scoped child with a namespace",
      [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "n", namespace: "x" } }],
      clusterParent,
      /cluster-scoped but has metadata.namespace "x": remove the namespace/,
    ],
    [
      "a cluster-scoped child of a namespaced parent",
      [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "n" } }],
      { ...namespacedParent, childTypes: [K8sTypes.Namespace] },
      /cannot be owned by a namespaced parent/,
    ],
    [
      "a duplicate (apiVersion, kind, namespace, name)",
      [podW("a"), podW("a", "team-a")],
      namespacedParent,
      /#1 v1 Pod "team-a\/a": duplicates child #0/,
    ],
    [
      "a non-string namespace",
      [{ apiVersion: "v1", kind: "Pod", metadata: { name: "a", namespace: 7 } }],
      namespacedParent,
      /metadata.namespace must be a string/,
    ],
  ];
  for (const [what, children, ctx, message] of cases) {
    it(`rejects ${what}`, () => {
      const e = problemsOf(children, ctx);
      assert.match(e.message, message);
      assert.match(e.message, /nothing was written/);
    });
  }

  it("same name in another kind or namespace is not a duplicate", () => {
    const out = validateDesiredChildren(
      [cm("x", "a"), cm("x", "b"), { apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }],
      clusterParent,
    );
    assert.equal(out.length, 3);
  });

  it("lists every problem with index, type and name", () => {
    const e = problemsOf(
      [
        podW("ok"),
        "junk",
        { apiVersion: "v1", kind: "Pod", metadata: {} },
        podW("ok"),
        { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" } },
      ],
      namespacedParent,
    );
    assert.deepEqual(
      e.problems.map((p) => [p.index, p.kind, p.name]),
      [
        [1, undefined, undefined],
        [2, "Pod", undefined],
        [3, "Pod", "ok"],
        [4, "Job", "j"],
      ],
    );
    assert.match(e.message, /4 problems with its children/);
    assert.equal(e.name, "InvalidChildError");
  });
});

describe("validateDesiredChildren: ownership and JSON", () => {
  const withParent: ChildValidationContext = { ...namespacedParent, childTypes: [K8sTypes.ConfigMap], parentUid: "parent-uid" };

  it("refuses a controller ownerReference to anything but the parent; keeps others", () => {
    const ref = (uid: string, controller?: boolean) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "x",
      uid,
      ...(controller ? { controller } : {}),
    });
    const foreign = { ...cm("a"), metadata: { name: "a", ownerReferences: [ref("other", true)] } };
    assert.throws(
      () => validateDesiredChildren([foreign], withParent),
      (e: unknown) => e instanceof InvalidChildError && /sets a controller ownerReference to ConfigMap x/.test(e.message),
    );
    const fine = { ...cm("b"), metadata: { name: "b", ownerReferences: [ref("parent-uid", true), ref("other")] } };
    assert.equal(validateDesiredChildren([fine], withParent).length, 1);
    // Without the parent's uid (a caller of the public function) nothing is refused for it.
    assert.equal(validateDesiredChildren([foreign], { ...withParent, parentUid: undefined }).length, 1);
  });

  it("refuses cycles and BigInts with their path, before converting (no stack overflow)", () => {
    const data: Record<string, unknown> = {};
    data.self = data;
    assert.throws(
      () => validateDesiredChildren([{ ...cm("c"), data }], withParent),
      (e: unknown) =>
        e instanceof InvalidChildError && /#0 v1 ConfigMap "c": cannot be written as JSON: data\.self refers back to data/.test(e.message),
    );
    assert.throws(
      () => validateDesiredChildren([{ ...cm("d"), data: { n: 1n } }], withParent),
      (e: unknown) => e instanceof InvalidChildError && /data\.n is a BigInt/.test(e.message),
    );
  });
});
