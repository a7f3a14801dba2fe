import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { CustomResource, Operator, Sync, SyncResponse, compileOperator } from "../../../src/api/index.js";
import { allObjects, generateManifests } from "../../../src/manifests/generate.js";
import { Validator, allowed, defineConversion, defineDefaulter } from "../../../src/webhook/index.js";

@CustomResource({
  apiVersion: "example.com/v2",
  kind: "Gizmo",
  plural: "gizmos",
  schema: { spec: { type: "object", properties: { size: { type: "integer" } } } },
  versions: [{ name: "v1", schema: { spec: { type: "object", properties: { replicas: { type: "integer" } } } } }],
})
class Gizmo {
  metadata!: V1ObjectMeta;
  spec!: { size: number };
}

@Operator({ name: "gizmo", parent: Gizmo })
class GizmoOperator {
  @Sync()
  sync() {
    return SyncResponse.of({});
  }
}

@Validator({ type: Gizmo })
class GizmoValidator {
  validateCreate() {
    return allowed();
  }
}

const defaults = defineDefaulter({ type: Gizmo }, () => undefined);
const conversion = defineConversion({ type: Gizmo, hub: "v2", spokes: { v1: { toHub: (o) => o, fromHub: (o) => o } } });
const deployment = { image: "me/gizmo:1", modulePath: "dist/gizmo.js" };

describe("manifests with webhooks", () => {
  const plain = generateManifests([compileOperator(GizmoOperator)], { deployment });
  const m = generateManifests([compileOperator(GizmoOperator)], { deployment, webhooks: [GizmoValidator, defaults, conversion] });

  it("serves both versions from one CRD (the class's version stored) with the conversion stanza and CA injection", () => {
    const crd = m.crds[0] as any;
    assert.deepEqual(
      crd.spec.versions.map((v: any) => [v.name, v.served, v.storage]),
      [
        ["v2", true, true],
        ["v1", true, false],
      ],
    );
    assert.deepEqual(crd.spec.versions[1].schema.openAPIV3Schema.properties.spec, {
      type: "object",
      properties: { replicas: { type: "integer" } },
    });
    assert.deepEqual(crd.spec.conversion, {
      strategy: "Webhook",
      webhook: {
        conversionReviewVersions: ["v1"],
        clientConfig: { service: { namespace: "tsoperator-system", name: "gizmo-operator-webhook", port: 443, path: "/convert" } },
      },
    });
    assert.equal(crd.metadata.annotations["cert-manager.io/inject-ca-from"], "tsoperator-system/gizmo-operator-webhook");
    assert.equal((plain.crds[0] as any).spec.conversion, undefined);
  });

  it("adds the Service, cert-manager Issuer and Certificate, and both webhook configurations", () => {
    assert.deepEqual(
      m.webhooks.map((o) => `${o.kind}/${o.metadata?.name}`),
      [
        "Service/gizmo-operator-webhook",
        "Issuer/gizmo-operator-selfsigned",
        "Certificate/gizmo-operator-webhook",
        "ValidatingWebhookConfiguration/gizmo-operator-validating",
        "MutatingWebhookConfiguration/gizmo-operator-mutating",
      ],
    );
    const validating = m.webhooks[3] as any;
    assert.equal(validating.metadata.annotations["cert-manager.io/inject-ca-from"], "tsoperator-system/gizmo-operator-webhook");
    assert.deepEqual(validating.webhooks[0], {
      name: "vgizmo-v2.example.com",
      admissionReviewVersions: ["v1"],
      sideEffects: "None",
      failurePolicy: "Fail",
      timeoutSeconds: 10,
      matchPolicy: "Equivalent",
      clientConfig: {
        service: { namespace: "tsoperator-system", name: "gizmo-operator-webhook", port: 443, path: "/validate-example-com-v2-gizmo" },
      },
      rules: [{ apiGroups: ["example.com"], apiVersions: ["v2"], operations: ["CREATE"], resources: ["gizmos"], scope: "*" }],
    });
    const certificate = m.webhooks[2] as any;
    assert.equal(certificate.spec.secretName, "gizmo-operator-webhook-cert");
    assert.deepEqual(certificate.spec.dnsNames, [
      "gizmo-operator-webhook.tsoperator-system.svc",
      "gizmo-operator-webhook.tsoperator-system.svc.cluster.local",
    ]);
  });

  it("mounts the certificate Secret where the server reads it and opens the webhook port", () => {
    const pod = (m.deployment as any).spec.template.spec;
    assert.deepEqual(pod.volumes, [{ name: "webhook-cert", secret: { secretName: "gizmo-operator-webhook-cert" } }]);
    const container = pod.containers[0];
    assert.deepEqual(container.volumeMounts, [
      { name: "webhook-cert", mountPath: "/tmp/k8s-webhook-server/serving-certs", readOnly: true },
    ]);
    assert.deepEqual(container.ports[1], { name: "https-webhook", containerPort: 9443 });
    assert.ok(container.args.includes("--webhook-port"));
    assert.equal((plain.deployment as any).spec.template.spec.volumes, undefined);
  });

  it("leaves RBAC exactly as without webhooks (serving them needs no API rights)", () => {
    assert.deepEqual(m.rbac, plain.rbac);
  });

  it("without cert-manager: no Issuer/Certificate and no injection annotation", () => {
    const manual = generateManifests([compileOperator(GizmoOperator)], { webhooks: [GizmoValidator], webhookCertificates: "manual" });
    assert.deepEqual(
      manual.webhooks.map((o) => o.kind),
      ["Service", "ValidatingWebhookConfiguration"],
    );
    assert.equal((manual.webhooks[1] as any).metadata.annotations, undefined);
    assert.ok(allObjects(manual).some((o) => o.kind === "ValidatingWebhookConfiguration"));
  });
});
