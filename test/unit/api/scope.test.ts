import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ConfigMap, V1Namespace } from "@kubernetes/client-node";
import { K8sType, Operator, OperatorConfig, Sync, SyncResponse, compileOperator } from "../../../src/api/index.js";
import { labelSelectorProblem, namespacesOf, operatorScope, scopeProblems } from "../../../src/api/scope.js";
import { OperatorDefinitionError } from "../../../src/core/errors.js";
import { generateManifests } from "../../../src/manifests/index.js";
import { runOptionsFrom } from "../../../src/cli/run-command.js";
import type { TsoperatorModuleOptions } from "../../../src/nest/options.js";

const Widget = K8sType.of("example.com/v1", "Widget", { plural: "widgets", namespaced: true });
const Tenant = K8sType.of("example.com/v1", "Tenant", { plural: "tenants", namespaced: false });

describe("operator scope", () => {
  it("an operator's own namespaces win over the process's; none on either side is every namespace", () => {
    assert.deepEqual(operatorScope({}, {}), {});
    assert.deepEqual(operatorScope({}, { namespaces: ["a", "b"] }), { namespaces: ["a", "b"] });
    assert.deepEqual(operatorScope({ namespace: "x" }, { namespaces: ["a", "b"] }), { namespaces: ["x"] });
    assert.deepEqual(operatorScope({ namespace: "x", namespaces: ["y", "x"] }, {}), { namespaces: ["x", "y"] });
    assert.deepEqual(operatorScope({}, { namespace: "a", namespaces: ["b"] }), { namespaces: ["a", "b"] });
  });

  it("label selectors of operator and process both apply (AND)", () => {
    assert.deepEqual(operatorScope({ labelSelector: "tier=web" }, { labelSelector: "shard=a" }), { labelSelector: "tier=web,shard=a" });
    assert.deepEqual(operatorScope({ labelSelector: "shard=a" }, { labelSelector: "shard=a" }), { labelSelector: "shard=a" });
  });

  it("a cluster-scoped parent has no namespaces", () => {
    assert.deepEqual(operatorScope({}, { namespaces: ["a"], labelSelector: "s" }, false), { labelSelector: "s" });
  });

  it("namespacesOf joins the single and the list forms", () => {
    assert.equal(namespacesOf({}), undefined);
    assert.deepEqual(namespacesOf({ namespace: "a", namespaces: ["a", "b"] }), ["a", "b"]);
  });

  it("accepts Kubernetes label selectors and says what is wrong with others", () => {
    for (const ok of ["a", "!a", "a=b", "a==b", "a!=b", "a in (x, y)", "a notin (x)", "example.com/shard=a,tier!=test", "a=", " a = b "]) {
      assert.equal(labelSelectorProblem(ok), undefined, ok);
    }
    for (const bad of ["", "a b", "a=(b", "=b", "a in x", "a,,b", "a=b c"]) {
      assert.match(labelSelectorProblem(bad) ?? "", /labelSelector/, bad);
    }
  });

  it("config validation reports bad namespaces and selectors", () => {
    assert.deepEqual(scopeProblems(["a", "b"], "shard=a", true), []);
    assert.equal(scopeProblems([], undefined).length, 1);
    assert.match(scopeProblems(["Bad_NS"], undefined)[0]!, /invalid namespace/);
    assert.match(scopeProblems(["a"], undefined, false)[0]!, /cluster-scoped/);
    const config = new OperatorConfig("w", Widget).withinNamespaces(["a", "b"]).withLabelSelector("shard=a");
    assert.deepEqual(config.namespaces, ["a", "b"]);
    assert.equal(config.labelSelector, "shard=a");
    assert.throws(() => new OperatorConfig("w", Widget).withLabelSelector("a b").validate(), OperatorDefinitionError);
  });

  it("the decorator takes namespaces and a label selector", () => {
    @Operator({ name: "scoped", parent: Widget, namespaces: ["a", "b"], labelSelector: "shard=a" })
    class Scoped {
      @Sync()
      sync() {
        return SyncResponse.of({});
      }
    }
    const { config } = compileOperator(Scoped);
    assert.deepEqual(config.namespaces, ["a", "b"]);
    assert.equal(config.labelSelector, "shard=a");
  });
});

describe("scoped RBAC", () => {
  const widgets = { config: new OperatorConfig("widgets", Widget).withChild(V1ConfigMap) };
  const tenants = { config: new OperatorConfig("tenants", Tenant).withChild(V1Namespace) };
  const roles = (objects: { kind?: string; metadata?: { namespace?: string; name?: string } }[]) =>
    objects.filter((o) => /Role/.test(o.kind ?? "")).map((o) => `${o.kind}/${o.metadata?.namespace ?? "-"}/${o.metadata?.name}`);

  it("a Role and RoleBinding per watched namespace; a cluster-scoped parent keeps its ClusterRole", () => {
    const m = generateManifests([widgets, tenants], { watchNamespaces: ["a", "b"], installNamespace: "ops", leaderElection: false });
    assert.deepEqual(roles(m.rbac), [
      "Role/a/tsoperator-widgets",
      "RoleBinding/a/tsoperator-widgets",
      "Role/b/tsoperator-widgets",
      "RoleBinding/b/tsoperator-widgets",
      "ClusterRole/-/tsoperator-tenants",
      "ClusterRoleBinding/-/tsoperator-tenants",
    ]);
  });

  it("an operator's own namespaces decide its Roles; the Deployment gets the flags", () => {
    const own = { config: widgets.config.withinNamespaces(["x"]) };
    const m = generateManifests([own], {
      watchNamespaces: ["a", "b"],
      labelSelector: "shard=a",
      leaderElection: false,
      deployment: { image: "i", modulePath: "m.js" },
    });
    assert.deepEqual(roles(m.rbac), ["Role/x/tsoperator-widgets", "RoleBinding/x/tsoperator-widgets"]);
    const args = (m.deployment as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]!
      .args;
    assert.deepEqual(args.slice(-6), ["json", "--namespace", "a", "--namespace", "b", "--label-selector", "shard=a"].slice(-6));
  });
});

describe("scope in the Nest module", () => {
  it("forRoot takes namespaces and a label selector (the run options pass through)", () => {
    const options: TsoperatorModuleOptions = { operators: [], namespaces: ["a", "b"], labelSelector: "shard=a" };
    assert.deepEqual(operatorScope({}, options), { namespaces: ["a", "b"], labelSelector: "shard=a" });
  });
});

describe("scope flags", () => {
  it("--namespace repeats or lists; one stays `namespace`; --label-selector is checked", () => {
    assert.deepEqual(runOptionsFrom(["m.js", "--namespace", "a"]).options.namespace, "a");
    assert.deepEqual(runOptionsFrom(["m.js", "--namespace", "a", "--namespace", "b,c"]).options.namespaces, ["a", "b", "c"]);
    assert.equal(runOptionsFrom(["m.js", "--label-selector", "shard=a"]).options.labelSelector, "shard=a");
    assert.throws(() => runOptionsFrom(["m.js", "--label-selector", "a b"]), /--label-selector/);
    assert.throws(() => runOptionsFrom(["m.js", "--namespace", "a,B"]), /not a valid namespace/);
  });
});
