import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ConfigMap, V1Pod, V1Secret, V1Service, type V1ObjectMeta } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import {
  Finalize,
  FinalizeResponse,
  K8sType,
  KubernetesType,
  Operator,
  OperatorConfig,
  Sync,
  SyncResponse,
  UpdateStrategy,
  compileOperator,
  defineOperator,
  ChildConfig,
} from "../../../src/api/index.js";
import {
  CustomResource,
  allObjects,
  crdsOf,
  generateManifests,
  guessPlural,
  isBuiltin,
  leaderElectionRules,
  openApiSchemaOf,
  operatorRules,
  toYaml,
  type PolicyRule,
} from "../../../src/manifests/index.js";

@CustomResource({
  schema: {
    spec: { type: "object", required: ["message"], properties: { message: { type: "string" } } },
    status: { type: "object", properties: { ready: { type: "boolean" } } },
  },
  printerColumns: [{ name: "Ready", type: "boolean", jsonPath: ".status.ready" }],
  shortNames: ["echo"],
})
@KubernetesType({ apiVersion: "example.com/v1", kind: "EchoServer", plural: "echoservers", namespaced: true })
class EchoServer {
  metadata!: V1ObjectMeta;
  spec!: { message: string };
}

@KubernetesType({ apiVersion: "example.com/v1", kind: "Policy", namespaced: false })
class Policy {
  metadata!: V1ObjectMeta;
}

@Operator({
  name: "echo",
  parent: EchoServer,
  children: [
    { type: V1Pod, update: UpdateStrategy.Recreate },
    { type: V1Service },
    { type: V1ConfigMap, update: UpdateStrategy.Replace },
    { type: V1Secret, update: UpdateStrategy.OnDelete },
  ],
})
class EchoOperator {
  @Sync() sync() {
    return SyncResponse.of({});
  }
  @Finalize() finalize() {
    return FinalizeResponse.done();
  }
}

@Operator({ name: "policy", parent: Policy })
class PolicyOperator {
  @Sync() sync() {
    return SyncResponse.of({});
  }
}

const rule = (rules: PolicyRule[], resource: string) => rules.find((r) => r.resources.includes(resource));

describe("operatorRules", () => {
  const rules = operatorRules(compileOperator(EchoOperator).config);

  it("grants the parent reads, patch for finalizers, patch on status, update on finalizers", () => {
    assert.deepEqual(rule(rules, "echoservers"), {
      apiGroups: ["example.com"],
      resources: ["echoservers"],
      verbs: ["get", "list", "watch", "patch"],
    });
    assert.deepEqual(rule(rules, "echoservers/status")?.verbs, ["patch"]);
    assert.deepEqual(rule(rules, "echoservers/finalizers")?.verbs, ["update"]);
  });

  it("grants each child type the writes of its update strategy", () => {
    assert.deepEqual(rule(rules, "services")?.verbs, ["get", "list", "watch", "create", "patch", "delete"]);
    assert.deepEqual(rule(rules, "configmaps")?.verbs, ["get", "list", "watch", "create", "update", "delete"]);
    assert.deepEqual(rule(rules, "pods")?.verbs, ["get", "list", "watch", "create", "delete"]);
    assert.deepEqual(rule(rules, "secrets")?.verbs, ["get", "list", "watch", "create", "delete"]);
    // Recreate and OnDelete need the same verbs in the same group: one rule.
    assert.equal(rule(rules, "pods"), rule(rules, "secrets"));
  });

  it("lets events be created and aggregated, and never uses a wildcard", () => {
    assert.deepEqual(rule(rules, "events"), { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] });
    for (const r of rules) {
      assert.ok(!r.verbs.includes("*") && !r.resources.includes("*") && !r.apiGroups.includes("*"), JSON.stringify(r));
    }
  });

  it("asks no patch on the parent without a finalizer and no /finalizers without children", () => {
    const policy = operatorRules(compileOperator(PolicyOperator).config);
    assert.deepEqual(rule(policy, "policies")?.verbs, ["get", "list", "watch"]);
    assert.equal(rule(policy, "policies/finalizers"), undefined);
  });

  it("adds the extra rules an operator declares for its handler's own calls (decorator and OperatorConfig)", () => {
    const deleteParents: PolicyRule = { apiGroups: ["example.com"], resources: ["policies"], verbs: ["delete"] };
    const readNodes: PolicyRule = { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list"], resourceNames: ["n1"] };
    @Operator({ name: "self-deleting", parent: Policy, rbac: [deleteParents] })
    class SelfDeleting {
      @Sync() sync() {
        return SyncResponse.of({});
      }
    }
    const fromDecorator = operatorRules(compileOperator(SelfDeleting).config);
    assert.deepEqual(fromDecorator.slice(-1), [deleteParents]);
    assert.deepEqual(
      fromDecorator.slice(0, -1),
      operatorRules(compileOperator(PolicyOperator).config),
      "the runtime's own rules are unchanged",
    );

    const config = new OperatorConfig("by-config", Policy).withRbac([deleteParents]).withRbac([readNodes]);
    const fromConfig = operatorRules(defineOperator(config, () => SyncResponse.of()).config);
    assert.deepEqual(fromConfig.slice(-2), [deleteParents, readNodes]);

    // ... and `tsoperator manifests` puts them into the operator's ClusterRole (a Role with a watch namespace).
    const role = generateManifests([{ config }]).rbac.find((o) => o.kind === "ClusterRole" && o.metadata?.name === "tsoperator-by-config");
    assert.deepEqual((role!.rules as PolicyRule[]).slice(-2), [deleteParents, readNodes]);
  });

  it("refuses an extra rule that is not one, naming the fix", () => {
    const bad = { apiGroups: ["example.com"], resources: [], verbs: ["delete"] } as PolicyRule;
    assert.throws(
      () => new OperatorConfig("bad-rule", Policy).withRbac([bad]).validate(),
      /rbac\[0\] .* is not an RBAC rule: give non-empty apiGroups/,
    );
    @Operator({ name: "bad-rule", parent: Policy, rbac: { verbs: ["get"] } as never })
    class BadRule {
      @Sync() sync() {
        return SyncResponse.of({});
      }
    }
    assert.throws(() => compileOperator(BadRule), /rbac must be an array of RBAC rules/);
  });

  it("grants patch on a child type that adopts (the adoption is a merge patch), and only there", () => {
    const parent = K8sType.of("example.com/v1", "Db", { plural: "dbs", namespaced: true });
    const config = new OperatorConfig("db", parent)
      .withChild(V1Secret, ChildConfig.onDelete().adopting())
      .withChild(V1ConfigMap, ChildConfig.onDelete());
    const verbs = (resource: string) => operatorRules(config).find((r) => r.resources.includes(resource))?.verbs;
    assert.deepEqual(verbs("secrets"), ["get", "list", "watch", "create", "patch", "delete"]);
    assert.deepEqual(verbs("configmaps"), ["get", "list", "watch", "create", "delete"]);
  });

  it("renews only the named Lease", () => {
    assert.deepEqual(leaderElectionRules("x-leader"), [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "update"], resourceNames: ["x-leader"] },
    ]);
  });
});

describe("CRDs", () => {
  it("carry the declared schema, observedGeneration, the status subresource and printer columns", () => {
    const [crd] = crdsOf([compileOperator(EchoOperator).config]);
    const spec = crd!.spec as any;
    assert.equal(crd!.metadata?.name, "echoservers.example.com");
    assert.equal(spec.scope, "Namespaced");
    assert.deepEqual(spec.names, {
      kind: "EchoServer",
      listKind: "EchoServerList",
      plural: "echoservers",
      singular: "echoserver",
      shortNames: ["echo"],
    });
    const version = spec.versions[0];
    assert.deepEqual(version.subresources, { status: {} });
    assert.deepEqual(
      version.additionalPrinterColumns.map((c: any) => c.name),
      ["Ready", "Age"],
    );
    const schema = version.schema.openAPIV3Schema;
    assert.deepEqual(schema.properties.spec.required, ["message"]);
    assert.deepEqual(Object.keys(schema.properties.status.properties), ["ready", "observedGeneration", "conditions"]);
  });

  it("accept anything in spec and status when no schema is declared, and guess the plural", () => {
    const [crd] = crdsOf([compileOperator(PolicyOperator).config]);
    const spec = crd!.spec as any;
    assert.equal(crd!.metadata?.name, "policies.example.com");
    assert.equal(spec.scope, "Cluster");
    const schema = spec.versions[0].schema.openAPIV3Schema;
    assert.equal(schema.properties.spec["x-kubernetes-preserve-unknown-fields"], true);
    assert.equal(schema.properties.status.properties.observedGeneration.type, "integer");
  });

  it("are not generated for built-in kinds", () => {
    const config = new OperatorConfig("cm", V1ConfigMap).withChild(V1Secret, ChildConfig.replace());
    assert.deepEqual(crdsOf([config]), []);
    assert.equal(isBuiltin(K8sType.of("apps/v1", "Deployment")), true);
    assert.equal(isBuiltin(K8sType.of("cluster.x-k8s.io/v1beta1", "Cluster")), false);
  });

  it("keep a user's own observedGeneration and extra top-level fields", () => {
    const schema = openApiSchemaOf({
      schema: { data: { type: "object" }, status: { type: "object", properties: { observedGeneration: { type: "integer" } } } },
    });
    assert.deepEqual(schema.properties?.data, { type: "object" });
    assert.deepEqual(schema.properties?.status?.properties?.observedGeneration, { type: "integer" });
  });

  it("pluralize kinds the way kubebuilder does", () => {
    assert.deepEqual(["Policy", "Gateway", "Ingress", "Match", "Box", "Greeting"].map(guessPlural), [
      "policies",
      "gateways",
      "ingresses",
      "matches",
      "boxes",
      "greetings",
    ]);
  });
});

describe("generateManifests", () => {
  const definition = defineOperator(new OperatorConfig("cm", V1ConfigMap).withChild(V1Secret), () => SyncResponse.of({}));

  it("makes a ServiceAccount, a ClusterRole per operator, the lease Role and a Deployment", () => {
    const m = generateManifests([compileOperator(EchoOperator), definition], {
      deployment: { image: "me/op:1", modulePath: "dist/ops.js" },
    });
    const kinds = allObjects(m).map((o) => `${o.kind}/${o.metadata?.name}`);
    assert.deepEqual(kinds, [
      "Namespace/tsoperator-system",
      "CustomResourceDefinition/echoservers.example.com",
      "ServiceAccount/tsoperator",
      "ClusterRole/tsoperator-echo",
      "ClusterRoleBinding/tsoperator-echo",
      "ClusterRole/tsoperator-cm",
      "ClusterRoleBinding/tsoperator-cm",
      "Role/tsoperator-leader-election",
      "RoleBinding/tsoperator-leader-election",
      "Deployment/tsoperator",
    ]);
    const leaseRole = m.rbac.find((o) => o.kind === "Role") as any;
    assert.deepEqual(leaseRole.rules[1].resourceNames, ["echo-cm-leader"]);
    const container = (m.deployment as any).spec.template.spec.containers[0];
    assert.deepEqual(container.args, ["run", "dist/ops.js", "--health-port", "8080", "--log-format", "json", "--leader-elect"]);
    assert.equal(container.image, "me/op:1");
    assert.equal((m.deployment as any).spec.template.spec.serviceAccountName, "tsoperator");
  });

  it("uses Roles in the watched namespace and no lease rules when leader election is off", () => {
    const m = generateManifests([compileOperator(EchoOperator)], {
      watchNamespace: "demo",
      installNamespace: "ops",
      leaderElection: false,
    });
    const roles = m.rbac.filter((o) => o.kind === "Role" || o.kind === "ClusterRole");
    assert.deepEqual(
      roles.map((r) => `${r.kind}/${r.metadata?.namespace}/${r.metadata?.name}`),
      ["Role/demo/tsoperator-echo"],
    );
    const binding = m.rbac.find((o) => o.kind === "RoleBinding") as any;
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "echo-operator", namespace: "ops" }]);
    assert.equal(m.deployment, undefined);
  });

  it("writes YAML that reads back as the same objects, without anchors", () => {
    const objects = allObjects(generateManifests([compileOperator(EchoOperator)], { deployment: { image: "i", modulePath: "m.js" } }));
    const text = toYaml(objects);
    assert.ok(!/[&*]a\d/.test(text));
    assert.deepEqual(
      parseAllDocuments(text).map((d) => d.toJS()),
      JSON.parse(JSON.stringify(objects)),
    );
  });
});
