import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  V1ConfigMap,
  V1Container,
  V1CustomResourceDefinition,
  V1Deployment,
  V1Lease,
  V1ObjectMeta,
  V1Pod,
  V1Condition,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { KubernetesType } from "../../../src/api/kubernetes-type.js";
import { K8sType } from "../../../src/core/k8s-type.js";
import { UnknownTypeError } from "../../../src/core/errors.js";
import { BUILTIN_TYPES, K8sTypes, builtinFor } from "../../../src/core/builtin-types.js";
import { modelClass } from "../../../src/registry/model-codec.js";
import { TypeRegistry } from "../../../src/registry/type-registry.js";
import type { KubeObject } from "../../../src/core/kube-object.js";
import { FREE_FORM, testCrd } from "../../e2e/fixtures/crds.js";

const TIME = "2024-05-01T10:00:00Z";

function metadata(namespaced: boolean): Record<string, unknown> {
  return {
    name: "sample",
    ...(namespaced ? { namespace: "team-a" } : {}),
    uid: "0b6c7c2e-5d0e-4a7b-9c35-3a1f0b9a2f11",
    resourceVersion: "4711",
    generation: 3,
    creationTimestamp: TIME,
    labels: { app: "sample", "tsoperator.dev/parent-uid": "abc" },
    annotations: { "example.com/note": "kept" },
    ownerReferences: [
      { apiVersion: "example.com/v1", kind: "EchoServer", name: "p", uid: "u1", controller: true, blockOwnerDeletion: true },
    ],
    finalizers: ["example.com/cleanup"],
  };
}

/** Representative bodies for kinds where a spec is worth round-tripping too. */
const EXTRAS: Record<string, Record<string, unknown>> = {
  "v1/Pod": {
    spec: {
      containers: [
        {
          name: "echo",
          image: "hashicorp/http-echo:1.0",
          args: ["-text=hi"],
          ports: [{ containerPort: 5678, protocol: "TCP" }],
          resources: { limits: { cpu: "100m", memory: "64Mi" } },
          env: [{ name: "A", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
        },
      ],
      restartPolicy: "Always",
    },
    status: { phase: "Running", startTime: TIME, conditions: [{ type: "Ready", status: "True", lastTransitionTime: TIME }] },
  },
  "v1/Service": {
    spec: {
      selector: { app: "sample" },
      ports: [
        { name: "http", port: 80, targetPort: 5678 },
        { name: "named", port: 81, targetPort: "http" },
      ],
    },
  },
  "v1/ConfigMap": { data: { "config.yaml": "a: 1\n" }, binaryData: { blob: "AAEC" } },
  "v1/Secret": { type: "Opaque", data: { password: "c2VjcmV0" }, immutable: true },
  "v1/Event": {
    involvedObject: { kind: "Pod", name: "p", namespace: "team-a" },
    reason: "Started",
    message: "m",
    type: "Normal",
    count: 2,
    firstTimestamp: TIME,
    lastTimestamp: TIME,
    eventTime: "2024-05-01T10:00:00.123456Z",
    reportingComponent: "x",
    reportingInstance: "y",
  },
  "apps/v1/Deployment": {
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "s" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: { metadata: { labels: { app: "s" } }, spec: { containers: [{ name: "c", image: "i" }] } },
    },
  },
  "batch/v1/CronJob": {
    spec: {
      schedule: "*/5 * * * *",
      jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "i" }], restartPolicy: "Never" } } } },
    },
    status: { lastScheduleTime: TIME },
  },
  "rbac.authorization.k8s.io/v1/Role": { rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }] },
  "coordination.k8s.io/v1/Lease": {
    spec: {
      holderIdentity: "op-1",
      leaseDurationSeconds: 15,
      renewTime: "2024-05-01T10:00:00.123456Z",
      acquireTime: "2024-05-01T10:00:00.000000Z",
    },
  },
  "autoscaling/v2/HorizontalPodAutoscaler": {
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "d" },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }],
    },
  },
  // int-or-string, a list-type set and a status default: schema fields the model classes must keep.
  "apiextensions.k8s.io/v1/CustomResourceDefinition": {
    spec: testCrd("EchoServer", {
      group: "example.com",
      listKind: true,
      spec: {
        ...FREE_FORM,
        properties: {
          port: { "x-kubernetes-int-or-string": true },
          list: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
        },
      },
      status: { ...FREE_FORM, default: { ready: false } },
    }).spec,
  },
};

function sample(apiVersion: string, kind: string, namespaced: boolean): KubeObject {
  return { apiVersion, kind, metadata: metadata(namespaced), ...(EXTRAS[`${apiVersion}/${kind}`] ?? {}) } as KubeObject;
}

describe("TypeRegistry: built-in kinds", () => {
  const registry = new TypeRegistry();

  it("knows the required groups", () => {
    for (const apiVersion of [
      "v1",
      "apps/v1",
      "batch/v1",
      "networking.k8s.io/v1",
      "rbac.authorization.k8s.io/v1",
      "policy/v1",
      "coordination.k8s.io/v1",
      "autoscaling/v2",
    ]) {
      assert.ok(
        BUILTIN_TYPES.some((b) => b.type.apiVersion === apiVersion),
        apiVersion,
      );
    }
    assert.equal(registry.lookup("v1", "Pod")?.cls, V1Pod);
    assert.equal(registry.lookup("autoscaling/v2", "HorizontalPodAutoscaler")?.cls, V2HorizontalPodAutoscaler);
    assert.equal(registry.forClass(V1Deployment)?.type.key, "apps/v1/Deployment");
    assert.equal(registry.lookup("v1", "Pod")?.codec, "model");
    assert.equal(K8sTypes.Pod.plural, "pods");
    assert.equal(K8sTypes.Namespace.namespaced, false);
  });

  for (const b of BUILTIN_TYPES) {
    it(`round-trips ${b.type} wire -> ${b.modelName} -> wire`, () => {
      const wire = sample(b.type.apiVersion, b.type.kind, b.type.namespaced!);
      const original = structuredClone(wire);
      const instance = registry.toInstance<{ metadata: V1ObjectMeta }>(wire);
      assert.ok(instance instanceof modelClass(b.modelName)!, `instanceof ${b.modelName}`);
      assert.ok(instance.metadata instanceof V1ObjectMeta);
      assert.ok(instance.metadata.creationTimestamp instanceof Date);
      assert.deepEqual(registry.toWire(instance), original);
      assert.deepEqual(wire, original, "input not mutated");
    });
  }

  it("keeps x-kubernetes-* keys of a CRD (the client-node trap in FACTS.md)", () => {
    const wire = sample("apiextensions.k8s.io/v1", "CustomResourceDefinition", false);
    const crd = registry.toInstance<V1CustomResourceDefinition>(wire);
    const spec = crd.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.spec!;
    assert.equal(spec.x_kubernetes_preserve_unknown_fields, true);
    const back = registry.toWire(crd) as any;
    assert.equal(back.spec.versions[0].schema.openAPIV3Schema.properties.spec["x-kubernetes-preserve-unknown-fields"], true);
    assert.equal(back.spec.versions[0].schema.openAPIV3Schema.properties.spec.x_kubernetes_preserve_unknown_fields, undefined);
  });

  it("an instance built in code gets apiVersion/kind and no undefined keys", () => {
    const pod = new V1Pod();
    pod.metadata = new V1ObjectMeta();
    pod.metadata.name = "p";
    pod.metadata.creationTimestamp = new Date("2024-01-02T03:04:05.678Z");
    const c = new V1Container();
    c.name = "c";
    c.image = "i";
    pod.spec = { containers: [c] };
    const wire = registry.toWire(pod);
    assert.deepEqual(wire, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", creationTimestamp: "2024-01-02T03:04:05.678Z" },
      spec: { containers: [{ name: "c", image: "i" }] },
    });
    assert.deepEqual(Object.keys(wire).slice(0, 2), ["apiVersion", "kind"]);
    assert.equal(pod.apiVersion, undefined, "instance not mutated");
    assert.ok(pod.metadata.creationTimestamp instanceof Date, "instance dates not mutated");
  });

  it("plain objects are wire JSON: deep-copied, undefined dropped, nested models converted", () => {
    const meta = new V1ObjectMeta();
    meta.name = "cm";
    const plain = { apiVersion: "v1", kind: "ConfigMap", metadata: meta, data: { a: "1", b: undefined }, "x-extra": [1, { y: 2 }] };
    const wire = registry.toWire(plain);
    assert.deepEqual(wire, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { a: "1" }, "x-extra": [1, { y: 2 }] });
    (wire as any)["x-extra"][1].y = 3;
    assert.equal(plain["x-extra"][1] && (plain["x-extra"][1] as any).y, 2);
    const plainNoClass = { apiVersion: "example.com/v1", kind: "Unknown", metadata: { name: "u" } };
    assert.deepEqual(registry.toWire(plainNoClass), plainNoClass);
    assert.notEqual(registry.toWire(plainNoClass), plainNoClass);
  });

  it("valueToWire converts statuses: nested models by wire names, Dates, no undefined", () => {
    const cond = Object.assign(new V1Condition(), {
      type: "Ready",
      status: "True",
      lastTransitionTime: new Date(TIME),
      reason: "Ok",
      message: "fine",
      observedGeneration: undefined,
    });
    assert.deepEqual(registry.valueToWire({ ready: true, since: new Date(TIME), gone: undefined, conditions: [cond] }), {
      ready: true,
      since: TIME,
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: TIME, reason: "Ok", message: "fine" }],
    });
    assert.equal(registry.valueToWire("x"), "x");
    assert.deepEqual(registry.valueToWire([1, undefined]), [1, null]);
  });

  it("rejects non-objects and instances of unknown classes with a fix", () => {
    class Stranger {
      metadata = { name: "x" };
    }
    assert.throws(
      () => registry.toWire(new Stranger()),
      (e: unknown) => e instanceof UnknownTypeError && /@KubernetesType/.test(e.message),
    );
    assert.throws(() => registry.toWire("nope"), TypeError);
    assert.throws(() => registry.toWire([]), TypeError);
    assert.throws(() => registry.toInstance({ apiVersion: "x.io/v1", kind: "Nope", metadata: { name: "n" } }), UnknownTypeError);
  });

  it("toInstance with an explicit class, and plain types registered at run time", () => {
    const cm = registry.toInstance({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } }, V1ConfigMap);
    assert.ok(cm instanceof V1ConfigMap);
    const r = new TypeRegistry({ builtins: false });
    assert.equal(r.lookup("v1", "Pod"), undefined);
    const reg = r.register(K8sType.of("example.com/v1", "Thing"));
    assert.equal(reg.codec, "plain");
    const wire = { apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "t" }, spec: { n: 1 } };
    const copy = r.toInstance(wire);
    assert.deepEqual(copy, wire);
    assert.notEqual(copy, wire);
    // discovery later fills in plural and scope
    r.register(K8sType.of("example.com/v1", "Thing", { plural: "things", namespaced: true }));
    assert.equal(r.lookup("example.com/v1", "Thing")?.type.plural, "things");
    // a client-node model registered at run time
    r.register(K8sType.of("coordination.k8s.io/v1", "Lease"), V1Lease);
    assert.ok(r.toInstance({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" } }) instanceof V1Lease);
    assert.equal(modelClass(builtinFor("v1", "Pod")!.modelName), V1Pod);
  });
});

@KubernetesType({ apiVersion: "example.com/v1", kind: "EchoServer", plural: "echoservers", namespaced: true })
class EchoServer {
  metadata!: V1ObjectMeta;
  spec!: { port: number; image?: string };
  status?: { ready?: boolean };
  get port(): number {
    return this.spec.port;
  }
}

describe("TypeRegistry: user classes (class-transformer)", () => {
  const registry = new TypeRegistry();
  const wire: KubeObject = {
    apiVersion: "example.com/v1",
    kind: "EchoServer",
    metadata: { name: "e", namespace: "ns", creationTimestamp: TIME, labels: { a: "b" } },
    spec: { port: 8080, "x-kubernetes-preserve-unknown-fields": { anything: [1, 2, { deep: true }] }, "weird-key": "kept" },
    status: { ready: true, observedGeneration: 2 },
    extraTopLevel: { "x-kubernetes-int-or-string": "50%" },
  };

  it("registers @KubernetesType classes on first use", () => {
    assert.equal(registry.forClass(EchoServer)?.type.key, "example.com/v1/EchoServer");
    assert.equal(registry.lookup("example.com/v1", "EchoServer")?.codec, "class");
    assert.equal(registry.lookup("example.com/v1", "EchoServer")?.type.plural, "echoservers");
  });

  it("wire -> instance: a real EchoServer, metadata a V1ObjectMeta with a Date", () => {
    const e = registry.toInstance<EchoServer>(wire);
    assert.ok(e instanceof EchoServer);
    assert.equal(e.port, 8080);
    assert.ok(e.metadata instanceof V1ObjectMeta);
    assert.ok(e.metadata.creationTimestamp instanceof Date);
  });

  it("instance -> wire keeps every unknown key (toInstance -> toWire is the identity)", () => {
    const original = structuredClone(wire);
    assert.deepEqual(registry.toWire(registry.toInstance(wire)), original);
    assert.deepEqual(wire, original);
  });

  it("a new instance gets apiVersion/kind from the decorator", () => {
    const e = new EchoServer();
    e.metadata = { name: "n" } as V1ObjectMeta;
    e.spec = { port: 1, image: undefined };
    assert.deepEqual(registry.toWire(e), { apiVersion: "example.com/v1", kind: "EchoServer", metadata: { name: "n" }, spec: { port: 1 } });
  });
});
