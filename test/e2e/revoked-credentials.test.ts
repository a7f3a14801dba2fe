/**
 * A revoked token (its ServiceAccount deleted) does not end the watches already open: the API
 * server authenticated them when they started, so events keep flowing and busy informers never
 * probe. Every new request is refused with 401 — the operator's writes included — so it cannot do
 * its job, and readiness must say so instead of staying green while the old watches run.
 *
 * On a real local control plane (bound ServiceAccount tokens are checked against the account on
 * every request), the operator runs with a TokenRequest token of its own account.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { OperatorConfig, defineOperator, SyncResponse, type SyncRequest, type KubeObject } from "../../src/index.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, ensureNamespace } from "../../src/testing/manifests.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { createLogger } from "../../src/observability/logger.js";
import { runOperators } from "../../src/runner/run-operators.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { E2E_API_VERSION, testCrd, testType } from "./fixtures/crds.js";

const NS = "revoked";
const KIND = "Revoked";
const SA = "revoked-operator";

const operator = defineOperator(
  new OperatorConfig("revoked", testType(KIND)).withChild({ apiVersion: "v1", kind: "ConfigMap" }),
  (req: SyncRequest<KubeObject>) =>
    SyncResponse.of({ seen: (req.parent.spec as { n?: number } | undefined)?.n ?? 0 }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${req.parent.metadata?.name}-child` },
      data: { n: String((req.parent.spec as { n?: number } | undefined)?.n ?? 0) },
    }),
);

let cp: LocalControlPlane;
let admin: KubeClient;
let runtime: OperatorRuntime | undefined;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  admin = KubeClient.fromKubeConfig(cp.kubeConfig);
  const discovery = new Discovery(admin);
  await ensureNamespace(admin, discovery, NS);
  await applyManifests(admin, discovery, [
    testCrd(KIND),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: NS } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: SA },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: SA, namespace: NS }],
    },
  ]);
});
after(async () => {
  await runtime?.stop();
  await admin?.close();
  await cp?.stop();
});

describe("revoked credentials", { timeout: 120_000 }, () => {
  it("readiness turns red when the API server refuses the operator's token, though its old watches still deliver events", async () => {
    const token = (await admin.request("POST", `/api/v1/namespaces/${NS}/serviceaccounts/${SA}/token`, {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    })) as { status: { token: string } };
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "local", server: cp.server, caData: Buffer.from(cp.caCert).toString("base64"), skipTLSVerify: false }],
      users: [{ name: SA, token: token.status.token }],
      contexts: [{ name: "sa", cluster: "local", user: SA }],
      currentContext: "sa",
    });
    runtime = await runOperators([operator], {
      kubeConfig,
      namespace: NS,
      handleSignals: false,
      healthPort: false,
      logger: createLogger({ level: (process.env.TSOPERATOR_LOG_LEVEL as never) ?? "warn" }),
    });
    const discovery = new Discovery(admin);
    const parents = await discovery.resolve(E2E_API_VERSION, KIND);
    const configMaps = await discovery.resolve("v1", "ConfigMap");
    await admin.create(parents, { apiVersion: E2E_API_VERSION, kind: KIND, metadata: { name: "p", namespace: NS }, spec: { n: 0 } });
    const deadline = Date.now() + 20_000;
    while (!(await admin.get(configMaps, NS, "p-child"))) {
      assert.ok(Date.now() < deadline, "the child was never created");
      await sleep(100);
    }
    const notReady = () => runtime!.readiness().filter((c) => !c.ok);
    assert.deepEqual(notReady(), [], "ready before the revocation");

    // Revoke: the account goes, its token is refused from now on; the open watches stay.
    await admin.delete(await discovery.resolve("v1", "ServiceAccount"), NS, SA);
    // A busy cluster: the parent's spec changes (a write is due each time) and the child is touched,
    // every second, so both watches deliver events and no informer goes quiet enough to probe.
    let red: Array<{ name: string; detail?: string }> = [];
    // Up to 30 s: the API server may keep accepting a revoked token from its authentication cache
    // for ~10 s, and a loaded machine stretches every round.
    for (let n = 1; n <= 30 && red.length === 0; n++) {
      await admin.patch(parents, NS, "p", { spec: { n } }, "merge");
      await admin.patch(configMaps, NS, "p-child", { metadata: { annotations: { touched: String(n) } } }, "merge");
      await sleep(1_000);
      red = notReady();
    }
    assert.ok(red.length > 0, "readiness stayed green for 30 s while every request of the operator was refused with 401");
    assert.ok(
      red.some((c) => /401|[Uu]nauthori[sz]ed|credentials/.test(c.detail ?? "")),
      `readiness says why: ${JSON.stringify(red)}`,
    );
  });
});
