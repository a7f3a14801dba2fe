/**
 * No write after the lease is lost: a handler that blocks the event loop longer than the lease
 * (a CPU-bound sync) keeps the elector's renew timer from running. When the handler returns, its
 * child and status writes must not go out — another replica may already lead — and the runtime
 * stops because it lost leadership.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { test } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, type KubeObject, type OperatorDefinition, type SyncRequest } from "../../src/index.js";
import { Discovery } from "../../src/kube/discovery.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { waitFor } from "./support/wait.js";
import { withControlPlane } from "./support/control-plane.js";

const BLOCK_MS = 4_000; // longer than the 2 s lease
let handlerReturned = false;

const blocking: OperatorDefinition = {
  config: new OperatorConfig("blocking", testType("Blocking")).withChild(V1ConfigMap),
  handler: (req: SyncRequest<KubeObject>) => {
    const until = performance.now() + BLOCK_MS;
    while (performance.now() < until) {
      // CPU-bound: no timer (the lease renewal included) runs meanwhile.
    }
    handlerReturned = true;
    return SyncResponse.of({ written: true }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${req.raw.metadata!.name}-cm` },
      data: { a: "b" },
    });
  },
};

let runtime: OperatorRuntime | undefined;
const logs = new LogCapture();
const plane = withControlPlane({
  setUp: ({ client }) => applyManifests(client, new Discovery(client), [testCrd("Blocking")]),
  tearDown: async () => runtime?.stop(),
});

test("a handler that blocks the event loop past the lease: its writes do not go out", { timeout: 90_000 }, async () => {
  runtime = await runOperators([blocking], {
    kubeConfig: plane.cp.kubeConfig,
    handleSignals: false,
    logger: logs.logger,
    leaderElection: {
      namespace: "default",
      name: "blocking-leader",
      leaseDurationSeconds: 2,
      renewDeadlineSeconds: 1.5,
      retryPeriodSeconds: 0.5,
    },
  });
  const discovery = new Discovery(plane.client);
  const parents = await discovery.resolve(E2E_API_VERSION, "Blocking");
  const configMaps = await discovery.resolve("v1", "ConfigMap");
  await waitFor("leadership", () => runtime!.state().leading);
  await plane.client.create(parents, {
    apiVersion: E2E_API_VERSION,
    kind: "Blocking",
    metadata: { name: "b1", namespace: "default" },
    spec: {},
  });
  await waitFor("the handler to return", () => handlerReturned);
  await new Promise((r) => setTimeout(r, 2_000)); // any write would have landed by now
  assert.equal(await plane.client.get(configMaps, "default", "b1-cm"), undefined, "a child was written after the lease was lost");
  assert.equal((await plane.client.get(parents, "default", "b1"))?.status, undefined, "the status was written after the lease was lost");
  await waitFor("the runtime to notice the lost lease", () => runtime!.lostLeadership);
});
