/**
 * An operator started before it may list one of its child types (RBAC granted after the
 * Deployment, the usual order of a Helm chart or a GitOps sync) must start working once the grant
 * lands, without a restart: its informer keeps retrying the list with backoff, and its controller
 * must not give up for good when `cacheSyncTimeoutMs` passes (it reports the missing caches — error
 * log, red readiness, `failed` in the runtime state — and starts as soon as they list).
 *
 * On a real local control plane, the operator runs as its own user, with real RBAC.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OperatorConfig, defineOperator, SyncResponse, type SyncRequest, type KubeObject } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { E2E_API_VERSION, E2E_GROUP, parentOf, testCrd, testType } from "./fixtures/crds.js";

const USER = "late-grant";
const KIND = "LateGrant";

function clusterRole(name: string, rules: unknown[]): KubeObject {
  return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules };
}
function binding(name: string): KubeObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: USER }],
  };
}

const operator = defineOperator(
  new OperatorConfig("late-grant", testType(KIND)).withChild({ apiVersion: "v1", kind: "ConfigMap" }),
  (req: SyncRequest<KubeObject>) =>
    SyncResponse.of({ done: true }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${req.parent.metadata?.name}-child` },
      data: { from: "late-grant" },
    }),
);

let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false, users: [{ name: USER, groups: [] }] });
  const client = KubeClient.fromKubeConfig(cp.kubeConfig);
  // Everything the operator needs except list/watch on its child type.
  await applyManifests(client, new Discovery(client), [
    testCrd(KIND),
    clusterRole("late-grant-base", [
      { apiGroups: [E2E_GROUP], resources: [`${KIND.toLowerCase()}s`], verbs: ["get", "list", "watch", "patch", "update"] },
      { apiGroups: [E2E_GROUP], resources: [`${KIND.toLowerCase()}s/status`], verbs: ["get", "patch", "update"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create", "patch", "update", "delete"] },
      { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch", "update"] },
    ]),
    binding("late-grant-base"),
  ]);
  await client.close();
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

describe("a child type whose list is granted after the start", { timeout: 120_000 }, () => {
  it("the operator starts working once list/watch is granted, without a restart", async () => {
    kit = await TestKit.start({ controlPlane: cp, operators: [operator], operatorUser: USER, cacheSyncTimeoutMs: 2_000 });
    await kit.createParent(parentOf(KIND, "p"));
    // Past the cache sync timeout: the operator reports that it does not run.
    await kit.eventually(() => assert.match(kit.runtime.state().controllers[0]?.failed ?? "", /caches not synced/), { timeout: 30_000 });

    // The grant lands.
    await kit.create(clusterRole("late-grant-list", [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] }]));
    await kit.create(binding("late-grant-list"));

    // Within the informer's list backoff (capped at 30 s), the parent converges and the failure clears.
    const child = await kit.eventually(
      async () => {
        const c = await kit.get("v1", "ConfigMap", "p-child");
        assert.ok(c, "the child exists");
        return c;
      },
      { timeout: 60_000, interval: 250 },
    );
    assert.equal((child.data as Record<string, string>).from, "late-grant");
    await kit.eventually(async () => {
      const parent = await kit.get(E2E_API_VERSION, KIND, "p");
      assert.equal((parent?.status as { done?: boolean } | undefined)?.done, true);
    });
    assert.equal(kit.runtime.state().controllers[0]?.failed, undefined, "the operator no longer reports a failure");
  });
});
