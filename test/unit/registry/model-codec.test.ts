/**
 * The per-model codec (src/registry/model-codec.ts) against client-node's own ObjectSerializer:
 * the same instances from the same wire JSON and the same wire JSON back, for every built-in kind
 * and for nested models; and classes are client-node's own (instanceof holds).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import { BUILTIN_TYPES } from "../../../src/core/builtin-types.js";
import { deserializeModel, isModelClass, modelClass, serializeModel } from "../../../src/registry/model-codec.js";

const metadata = {
  name: "x",
  namespace: "ns",
  uid: "u-1",
  resourceVersion: "7",
  generation: 2,
  creationTimestamp: "2026-12-01T10:00:00Z",
  deletionTimestamp: "2026-12-01T11:00:00Z",
  labels: { a: "b" },
  annotations: { c: "d" },
  finalizers: ["f"],
  ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "u-0", controller: true, blockOwnerDeletion: true }],
  managedFields: [
    {
      manager: "m",
      operation: "Apply",
      apiVersion: "v1",
      time: "2026-12-01T10:00:01Z",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:data": {} },
    },
  ],
  unknownField: "dropped by both",
};

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata,
  spec: {
    containers: [
      {
        name: "c",
        image: "busybox",
        env: [{ name: "E", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
        resources: { limits: { cpu: "1" } },
        ports: [{ containerPort: 80, protocol: "TCP" }],
      },
    ],
    securityContext: { runAsNonRoot: true },
  },
  status: {
    phase: "Running",
    conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2026-12-01T10:00:02Z" }],
    startTime: "2026-12-01T10:00:00Z",
  },
};

describe("model codec = client-node's ObjectSerializer", () => {
  for (const b of BUILTIN_TYPES) {
    it(`${b.modelName}: same instance from wire, same wire back`, () => {
      const wire = { apiVersion: b.type.apiVersion, kind: b.type.kind, metadata, data: { k: "v" }, spec: {}, status: {} };
      const ours = deserializeModel(wire, b.modelName);
      assert.deepStrictEqual(ours, ObjectSerializer.deserialize(wire, b.modelName));
      assert.deepStrictEqual(serializeModel(ours, b.modelName), ObjectSerializer.serialize(ours, b.modelName));
    });
  }

  it("a Pod with nested models, maps, arrays and dates", () => {
    const ours = deserializeModel(pod, "V1Pod") as V1Pod;
    assert.deepStrictEqual(ours, ObjectSerializer.deserialize(pod, "V1Pod"));
    assert.ok(ours instanceof V1Pod);
    assert.ok(ours.metadata instanceof V1ObjectMeta);
    assert.ok(ours.metadata?.creationTimestamp instanceof Date);
    assert.deepStrictEqual(serializeModel(ours, "V1Pod"), ObjectSerializer.serialize(ours, "V1Pod"));
  });

  it("null, undefined and unknown types pass through", () => {
    assert.equal(deserializeModel(null, "V1Pod"), null);
    assert.equal(deserializeModel(undefined, "V1Pod"), undefined);
    assert.deepEqual(deserializeModel({ a: 1 }, "NoSuchModel"), { a: 1 });
    assert.deepEqual(serializeModel({ a: 1 }, "NoSuchModel"), { a: 1 });
  });
});

describe("model classes by name", () => {
  it("are client-node's own classes; anything else is not a model", () => {
    assert.equal(modelClass("V1Pod"), V1Pod);
    assert.equal(modelClass("../index"), undefined);
    assert.equal(modelClass("NoSuchModel"), undefined);
    assert.equal(isModelClass(V1Pod), true);
    class V1Fake {
      static getAttributeTypeMap() {
        return [];
      }
    }
    assert.equal(isModelClass(V1Fake), false);
    assert.equal(isModelClass(class Plain {}), false);
  });
});
