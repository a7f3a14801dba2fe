/**
 * No sync runs on a cache known to be stale after an outage (issue 11, the compacted case): the
 * API server of a real local control plane is SIGKILLed, etcd compacted while it is down, and it
 * is started again, so the operator's watches resume past the compaction (410 Gone) and its
 * caches must be listed again. Until the informers the controller reads have listed again, a sync
 * would read objects at their old resourceVersion and its writes draw 409 Conflict (the fault
 * suite counted them); so the work queue holds its keys from the moment an informer's watch breaks
 * until every informer of the controller has listed again, and then wakes the syncs that failed.
 *
 * The operator has parents whose handler keeps failing (a retryable error) until the API server is
 * back: before the fix they were retried during the outage and woken at once when the server came
 * back, hundreds of milliseconds before the relist.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { OperatorConfig, SyncResponse, type OperatorDefinition, type SyncRequest } from "../../src/index.js";
import { Discovery } from "../../src/kube/discovery.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, E2E_GROUP, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { waitFor } from "./support/wait.js";
import { withControlPlane } from "./support/control-plane.js";

const KIND = "StaleGate";
const RESOURCE = `stalegates.${E2E_GROUP}`;

describe("syncs wait for the relist after an API server restart past a compaction", { timeout: 120_000 }, () => {
  let runtime: OperatorRuntime | undefined;
  const logs = new LogCapture("debug");
  let failing = true;

  const operator: OperatorDefinition = {
    config: new OperatorConfig("stale-gate", testType(KIND)),
    handler: {
      sync: (req: SyncRequest) => {
        const name = req.raw.metadata!.name!;
        const spec = req.raw.spec as { fail?: boolean };
        logs.logger.info("test sync", { parent: name, resourceVersion: req.raw.metadata!.resourceVersion });
        if (spec.fail && failing) throw new Error(`${name} fails on purpose`);
        return SyncResponse.of({ synced: true });
      },
    },
  };

  const plane = withControlPlane({
    setUp: async ({ cp, client }) => {
      await applyManifests(client, new Discovery(client), [testCrd(KIND)]);
      runtime = await runOperators([operator], { kubeConfig: cp.kubeConfig, handleSignals: false, logger: logs.logger });
    },
    tearDown: async () => runtime?.stop(),
  });

  it("runs no sync between the watch breaking and the relist, then retries the failed syncs at once", async () => {
    const type = await new Discovery(plane.client).resolve(E2E_API_VERSION, KIND);
    const create = (name: string, spec: Record<string, unknown>) =>
      plane.client.create(type, { apiVersion: E2E_API_VERSION, kind: KIND, metadata: { name, namespace: "default" }, spec });
    for (let i = 0; i < 3; i++) await create(`ok-${i}`, {});
    for (let i = 0; i < 3; i++) await create(`fail-${i}`, { fail: true });
    await waitFor("the ok parents have a status", async () => {
      const list = await plane.client.list(type, { namespace: "default" });
      return list.items.filter((p) => (p.status as { synced?: boolean } | undefined)?.synced).length === 3;
    });
    // The failing parents are being retried (their handler was called more than once).
    await waitFor("the failing parents are retried", async () => logs.find({ msg: "test sync", parent: "fail-0" }).length >= 2);

    const beforeKill = logs.find({}).length;
    await plane.cp.stopApiServer({ signal: "SIGKILL" });
    // The informers see their watches break (connection reset) at once, and the controller holds its
    // syncs: its own log line marks the start of the window checked below (a fixed sleep would
    // leave a gap on a loaded machine in which a legitimate retry could be counted as early).
    await waitFor("the hold", () => holdIndex() !== undefined, { timeout: 10_000 });
    logs.logger.info("test mark: watches broken");
    await plane.cp.compactEtcd();
    await sleep(2_000);
    const readyAt = await plane.cp.startApiServer();
    failing = false;
    logs.logger.info("test mark: API server ready");

    // The parent informer lists again (the old resourceVersion is compacted away: 410, relist).
    await waitFor("the parent informer lists again", async () => relistedAfterMark() !== undefined, { timeout: 30_000 });
    // The failed syncs run again soon after the relist, not when their backoff would allow.
    await waitFor(
      "the failing parents have a status",
      async () => {
        const list = await plane.client.list(type, { namespace: "default" });
        return list.items.filter((p) => (p.status as { synced?: boolean } | undefined)?.synced).length === 6;
      },
      { timeout: 15_000 },
    );
    const records = logs.find({});
    const relisted = relistedAfterMark()!;
    const early = records.slice(holdIndex(), relisted).filter((r) => r.msg === "test sync");
    console.log(
      `[measure] every parent synced ${Date.now() - readyAt} ms after /readyz OK; ` +
        `syncs between the watch breaking and the relist: ${early.length}`,
    );
    assert.deepEqual(
      early.map((r) => r.parent),
      [],
      "syncs ran while the parent cache was known to be stale (after its watch broke, before it listed again)",
    );

    function holdIndex(): number | undefined {
      const at = logs.find({}).findIndex((r, i) => i >= beforeKill && r.msg === "holding syncs until the caches have listed again");
      return at >= 0 ? at : undefined;
    }

    function relistedAfterMark(): number | undefined {
      const all = logs.find({});
      const from = all.findIndex((r) => r.msg === "test mark: watches broken");
      const at = all.findIndex((r, i) => i > from && r.msg === "listed" && r.informer === RESOURCE);
      return from >= 0 && at > from ? at : undefined;
    }
  });
});
