/**
 * An informer that fell behind (its watch connection broke) and whose relist is then refused for
 * good (403: the namespace's RoleBinding was removed, or 404: the type is no longer served) must
 * not stay "behind" forever: a controller holds its whole queue while any informer it reads is
 * behind, so one namespace of a scope losing RBAC would stall every parent in every other
 * namespace, for ever. A 4xx other than 429 is nothing a wait fixes (the informer's own rule for
 * what interrupts a cache): the hold is released, the informer keeps retrying its list, and its
 * cache is served as it is (as client-go's and controller-runtime's caches are).
 *
 * On a real local control plane, through a loopback proxy that streams everything to the API
 * server and can (1) cut the open watch connections and (2) answer the lists with 403.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.js";
import { Informer } from "../../src/cache/informer.js";
import { OperatorConfig, type OperatorDefinition } from "../../src/index.js";
import { Discovery } from "../../src/kube/discovery.js";
import type { Controller } from "../../src/controller/controller.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { forbidden, startApiHttpProxy } from "./support/api-http-proxy.js";
import { waitFor } from "./support/wait.js";
import { configMap, configMaps } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

describe("an informer behind whose relist is refused for good", { timeout: 90_000 }, () => {
  const plane = withControlPlane();

  it("is current again after a 403 on its relist (a controller's hold is released), and keeps listing", async () => {
    await plane.client.create(configMaps, configMap("default", "held"));
    const proxy = await startApiHttpProxy(plane.cp);
    let forbidLists = false; // answer every list (a GET that is not a watch) with 403 while true
    proxy.intercept = (req) => (forbidLists && !req.watch && req.method === "GET" ? forbidden("configmaps is forbidden") : undefined);
    const proxied = KubeClient.fromKubeConfig(proxy.kubeConfig());
    const errors: Array<number | undefined> = [];
    const informer = new Informer({
      client: proxied,
      type: configMaps,
      namespace: "default",
      backoff: { initialDelayMs: 200, maxDelayMs: 400 },
      onError: (_e, f) => errors.push(f.statusCode),
    });
    const changes: boolean[] = [];
    informer.onCurrentChange((current) => changes.push(current));
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(20_000));
      assert.equal(informer.isCurrent(), true);
      changes.length = 0; // the first list's "current"
      forbidLists = true;
      await waitFor("a watch to cut", () => proxy.cutWatches() > 0, { timeout: 10_000 });
      await waitFor("two 403s on the relist", () => errors.filter((code) => code === 403).length >= 2, { timeout: 20_000 });
      assert.equal(changes[0], false, `the broken watch put it behind: ${JSON.stringify(changes)}`);
      // A short refusal (a restarted server's 403 until its RBAC is loaded) keeps the hold.
      assert.equal(informer.isCurrent(), false, "behind during the first refusals");
      const refusedAt = Date.now();
      await waitFor("the hold to end while the lists are refused", () => informer.isCurrent(), { timeout: 20_000 }).catch(() => {
        throw new Error(`a relist refused with 403 leaves the informer behind for good, its controllers' queues held: errors ${errors}`);
      });
      assert.ok(Date.now() - refusedAt >= 5_000, "the hold outlasts a short refusal");
      assert.deepEqual(changes, [false, true]);
      assert.ok(informer.store.get("default", "held"), "the cache is served as it was");

      // RBAC back: the relist goes through and the cache is current (and stays so).
      forbidLists = false;
      await plane.client.create(configMaps, configMap("default", "after"));
      await waitFor("the relist after the 403s", () => informer.store.get("default", "after") !== undefined, { timeout: 20_000 });
      assert.equal(informer.isCurrent(), true);
    } finally {
      controller.abort();
      await done;
      await proxied.close();
      await proxy.close();
    }
  });

  it("a watch cut on a healthy cluster does not reset the backoff of a parent that keeps failing", async () => {
    const KIND = "BehindBackoff";
    await applyManifests(plane.client, new Discovery(plane.client), [testCrd(KIND)]);
    const proxy = await startApiHttpProxy(plane.cp);
    const kc = proxy.kubeConfig();
    const operator: OperatorDefinition = {
      config: new OperatorConfig("behind-backoff", testType(KIND)),
      handler: {
        sync: () => {
          throw new Error("fails on purpose, every time");
        },
      },
    };
    const log = new LogCapture("info");
    let runtime: OperatorRuntime | undefined;
    try {
      runtime = await runOperators([operator], { kubeConfig: kc, handleSignals: false, logger: log.logger });
      const controller = (runtime as unknown as { parts: { controllers: Controller[] } }).parts.controllers[0]!;
      const type = await new Discovery(plane.client).resolve(E2E_API_VERSION, KIND);
      await plane.client.create(type, {
        apiVersion: E2E_API_VERSION,
        kind: KIND,
        metadata: { name: "failing", namespace: "default" },
        spec: {},
      });
      await waitFor("four failures in a row", () => controller.queue.failures("default/failing") >= 4, { timeout: 30_000 });
      const before = controller.queue.failures("default/failing");
      const holds = () => log.find({ msg: "holding syncs until the caches have listed again" }).length;
      const resumes = () => log.find({ msg: "caches listed again: syncs resume" }).length;
      const [holdsBefore, resumesBefore] = [holds(), resumes()];
      await waitFor("a watch to cut", () => proxy.cutWatches() > 0, { timeout: 10_000 });
      // The hold can be shorter than a poll on a healthy cluster (the relist takes milliseconds):
      // the controller's own log lines say it began and ended, whenever that was.
      await waitFor("the hold", () => holds() > holdsBefore, { timeout: 5_000 });
      await waitFor("the relist", () => resumes() > resumesBefore, { timeout: 20_000 });
      assert.equal(controller.queue.isPaused, false, "the hold ended with the relist");
      await sleep(1_000);
      const after = controller.queue.failures("default/failing");
      assert.ok(
        after >= before,
        `the relist after a watch cut on a healthy cluster reset the backoff of a parent that keeps failing: ${before} failures before, ${after} after`,
      );
    } finally {
      await runtime?.stop();
      await proxy.close();
    }
  });
});
