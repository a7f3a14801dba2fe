/**
 * An operator started before the CRD of one of its child types is installed (a chart that installs
 * an operator and a CRD of another project in one go) must start working once the CRD is served,
 * without a restart: the child type declares its plural and scope, so the operator can watch it
 * before discovery serves it; its informer's lists are refused (404) and retried, and the
 * controller starts once they succeed (it reports that it waits meanwhile).
 *
 * On a real local control plane.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { K8sType, OperatorConfig, defineOperator, SyncResponse, type SyncRequest, type KubeObject } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { Discovery } from "../../src/kube/discovery.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";

const PARENT = "LateHome";
const CHILD = "LateGuest";
const childType = K8sType.of(E2E_API_VERSION, CHILD, { plural: `${CHILD.toLowerCase()}s`, namespaced: true });

const operator = defineOperator(new OperatorConfig("late-crd", testType(PARENT)).withChild(childType), (req: SyncRequest<KubeObject>) =>
  SyncResponse.of({ done: true }).withChild({
    apiVersion: E2E_API_VERSION,
    kind: CHILD,
    metadata: { name: `${req.parent.metadata?.name}-guest` },
    spec: { from: "late-crd" },
  }),
);

let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

describe("a child type whose CRD is installed after the start", { timeout: 120_000 }, () => {
  it("the operator starts working once the CRD is served, without a restart", async () => {
    kit = await TestKit.start({ controlPlane: cp, operators: [operator], manifests: [testCrd(PARENT)], cacheSyncTimeoutMs: 2_000 });
    await kit.createParent(parentOf(PARENT, "h"));
    await kit.eventually(() => assert.match(kit.runtime.state().controllers[0]?.failed ?? "", /caches not synced/), { timeout: 30_000 });

    await applyManifests(kit.client, new Discovery(kit.client), [testCrd(CHILD)]);

    await kit.eventually(
      async () => {
        const guest = await kit.get(E2E_API_VERSION, CHILD, "h-guest").catch(() => undefined);
        assert.equal((guest?.spec as { from?: string } | undefined)?.from, "late-crd", "the child exists");
      },
      { timeout: 60_000, interval: 250 },
    );
    await kit.eventually(async () => {
      const parent = await kit.get(E2E_API_VERSION, PARENT, "h");
      assert.equal((parent?.status as { done?: boolean } | undefined)?.done, true);
    });
    assert.equal(kit.runtime.state().controllers[0]?.failed, undefined, "the operator no longer reports a failure");
  });
});
