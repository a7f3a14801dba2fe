import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { K8sType, Operator, OperatorConfig, Sync, SyncResponse, compileOperator, index } from "../../../src/index.js";
import { operatorRules } from "../../../src/manifests/rbac.js";

const Db = K8sType.of("example.com/v1", "Database", { plural: "databases", namespaced: true });

describe("related types and indexes in OperatorConfig", () => {
  it("withRelated and withIndex record them; RBAC grants only get/list/watch on them", () => {
    const bySecret = index(Db, "by-secret", (db: { spec?: { secret?: string } }) => db.spec?.secret);
    const config = new OperatorConfig("database", Db)
      .withChild(V1ConfigMap)
      .withRelated(V1Secret, { names: (db: { spec: { secret: string } }) => db.spec.secret, cache: { labelSelector: "app=db" } })
      .withIndex(bySecret)
      .validate();
    assert.equal(config.related.length, 1);
    assert.equal(config.related[0]!.type.kind, "Secret");
    assert.equal(config.related[0]!.cls, V1Secret);
    assert.equal(config.indexes[0], bySecret);
    const rules = operatorRules(config);
    const secrets = rules.filter((r) => r.resources.includes("secrets"));
    assert.deepEqual(secrets, [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] }]);
    assert.ok(!rules.some((r) => r.resources.includes("secrets") && r.verbs.some((v) => !["get", "list", "watch"].includes(v))));
  });

  it("reports a related type without exactly one selection, a bad cache selector, duplicates", () => {
    const config = new OperatorConfig("database", Db)
      .withRelated(V1Secret, {})
      .withRelated(V1ConfigMap, { names: () => "a", selector: () => "a=b", cache: { labelSelector: "a in (" } })
      .withIndex(index(Db, "x", () => "k"))
      .withIndex(index(Db, "x", () => "k"));
    const problems = config.problems().join("\n");
    assert.match(problems, /related type v1 Secret needs exactly one of names/);
    assert.match(problems, /it has names and selector/);
    assert.match(problems, /cache.labelSelector is not a label selector/);
    assert.match(problems, /index "x" is declared twice/);
  });

  it("the decorator form compiles to the same config", () => {
    const bySecret = index(Db, "by-secret", () => undefined);
    @Operator({
      name: "database",
      parent: Db,
      related: [{ type: V1Secret, selector: () => ({ matchLabels: { app: "db" } }) }],
      indexes: [bySecret],
    })
    class DatabaseOperator {
      @Sync()
      sync() {
        return SyncResponse.of();
      }
    }
    const { config } = compileOperator(DatabaseOperator);
    assert.equal(config.related[0]!.type.kind, "Secret");
    assert.equal(typeof config.related[0]!.selector, "function");
    assert.deepEqual(config.indexes, [bySecret]);
  });
});
