/**
 * Every failed write is reported the same way, whichever write it was: an operator whose RBAC
 * lacks `patch` on its parent type cannot add its finalizer. That 403 must show as an error log
 * line, a Warning Event on the parent (`FinalizerWriteFailed`) and `tsoperator_write_errors_total`
 * — not only as a debug line and a request metric. The operator runs as an impersonated user
 * bound to a ClusterRole that grants everything it needs except that one verb.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { FinalizeResponse, OperatorConfig, SyncResponse, type OperatorDefinition } from "../../src/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, E2E_GROUP, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { waitFor } from "./support/wait.js";
import { withControlPlane } from "./support/control-plane.js";

const USER = "no-parent-patch";

const finalizing: OperatorDefinition = {
  config: new OperatorConfig("no-patch", testType("NoPatch")),
  handler: { sync: () => SyncResponse.of({ ok: true }), finalize: () => FinalizeResponse.done() },
};

describe("failed writes are reported alike", { timeout: 120_000 }, () => {
  let runtime: OperatorRuntime | undefined;
  const logs = new LogCapture();

  const plane = withControlPlane({ setUp: ({ cp, client }) => startOperatorAsUser(cp, client), tearDown: async () => runtime?.stop() });

  /** The CRD, the user's rules (no patch of the parent), and the operator running as that user. */
  async function startOperatorAsUser(cp: LocalControlPlane, admin: KubeClient): Promise<void> {
    const discovery = new Discovery(admin);
    await applyManifests(admin, discovery, [
      testCrd("NoPatch"),
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: USER },
        rules: [
          { apiGroups: [E2E_GROUP], resources: ["nopatchs"], verbs: ["get", "list", "watch"] }, // no patch
          { apiGroups: [E2E_GROUP], resources: ["nopatchs/status"], verbs: ["patch"] },
          { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: USER },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: USER },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: USER }],
      },
    ]);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser(cp.kubeConfig.getCurrentCluster()!, { ...cp.kubeConfig.getCurrentUser()!, impersonateUser: USER });
    runtime = await runOperators([finalizing], { kubeConfig, handleSignals: false, logger: logs.logger });
  }

  it("a 403 on the parent's finalizer patch: error log, Warning Event, write-error metric", async () => {
    const type = await new Discovery(plane.client).resolve(E2E_API_VERSION, "NoPatch");
    await plane.client.create(type, {
      apiVersion: E2E_API_VERSION,
      kind: "NoPatch",
      metadata: { name: "p1", namespace: "default" },
      spec: {},
    });
    const events = await waitFor("a FinalizerWriteFailed Event", async () => {
      const list = await plane.client.list(await new Discovery(plane.client).resolve("v1", "Event"), { namespace: "default" });
      const found = list.items.filter((e) => (e.involvedObject as { name?: string })?.name === "p1" && e.reason === "FinalizerWriteFailed");
      return found.length > 0 ? found : undefined;
    });
    assert.equal(events[0]!.type, "Warning");
    assert.match(String(events[0]!.message), /forbidden|cannot patch/i);
    assert.ok(logs.find({ operator: "no-patch", level: "error", reason: "FinalizerWriteFailed" }).length > 0, "no error log line");
    const metric = await runtime!.metrics.registry.getSingleMetric("tsoperator_write_errors_total")?.get();
    const finalizerErrors = metric?.values.filter((v) => v.labels.write === "finalizer").reduce((a, v) => a + v.value, 0) ?? 0;
    assert.ok(finalizerErrors >= 1, "tsoperator_write_errors_total{write=finalizer} did not move");
  });
});
