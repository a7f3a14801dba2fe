/**
 * How the informer's list/watch loop recovers, on a real kube-apiserver + etcd:
 * - a proxy that answers every watch with 200 and closes at once (a misbehaving load balancer or
 *   API gateway) must not turn the loop into a tight request loop: a watch that ends within a
 *   second without an event counts as a failure and backs off (client-go's "very short watch");
 * - once RBAC lets a list through after 403s, the informer reads healthy at once (readiness
 *   green), not only after the first watch event or bookmark (~60 s later on a quiet type).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.js";
import { Informer } from "../../src/cache/informer.js";
import { startApiHttpProxy } from "./support/api-http-proxy.js";
import { grantRole, newServiceAccountClient, READ_CONFIGMAPS } from "./support/service-account.js";
import { waitFor } from "./support/wait.js";
import { configMap, configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

/** The readiness rule of runOperators and the Nest status: synced and fewer than 3 errors in a row. */
const ready = (informer: Informer): boolean => informer.health().synced && informer.health().consecutiveErrors < 3;

describe("Informer recovery on a real control plane", { timeout: 120_000 }, () => {
  const plane = withControlPlane();

  it("backs off when a proxy answers every watch with 200 and closes it at once", async () => {
    await plane.client.create(configMaps, configMap("default", "behind-proxy"));
    const proxy = await startApiHttpProxy(plane.cp);
    proxy.intercept = (req) => (req.watch ? { status: 200 } : undefined); // every watch: 200, empty, closed
    const proxied = KubeClient.fromKubeConfig(proxy.kubeConfig());
    const informer = new Informer({ client: proxied, type: configMaps, namespace: "default" });
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      assert.ok(informer.store.get("default", "behind-proxy"), "lists go through the proxy");
      const before = proxy.watches;
      await sleep(3_000);
      const inThreeSeconds = proxy.watches - before;
      console.log(`watch requests in 3 s: ${inThreeSeconds}; health: ${JSON.stringify(informer.health())}`);
      // Backoff 800 ms, 1.6 s, 3.2 s (±50 %): a handful at most. Without it: thousands.
      assert.ok(inThreeSeconds <= 6, `a watch that closes at once was re-opened ${inThreeSeconds} times in 3 s`);
      const health = informer.health();
      assert.ok(health.consecutiveErrors >= 1, "the empty watches count as errors");
      assert.match(health.lastError ?? "", /short watch/);
    } finally {
      controller.abort();
      await done;
      await proxied.close();
      await proxy.close();
    }
  });

  it("reads healthy as soon as a list succeeds after 403s (readiness does not wait for a watch event)", async () => {
    const ns = "rec-rbac";
    await plane.client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await plane.client.create(configMaps, configMap(ns, "quiet"));
    const readerClient = await newServiceAccountClient(plane.cp, plane.client, ns, "reader");
    const errors: number[] = [];
    const informer = new Informer({
      client: readerClient,
      type: configMaps,
      namespace: ns,
      backoff: { initialDelayMs: 200, maxDelayMs: 400 },
      onError: (_e, f) => errors.push(f.statusCode ?? 0),
    });
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await waitFor("three 403s", () => errors.length >= 3, { timeout: 10_000 });
      assert.ok(
        errors.every((code) => code === 403),
        `errors: ${errors}`,
      );
      assert.equal(ready(informer), false, "not ready while RBAC forbids the list");

      await grantRole(plane.client, ns, "cm-reader", [READ_CONFIGMAPS], "reader");
      await informer.waitForSync(AbortSignal.timeout(30_000));
      // Nothing changes in the namespace: no watch event (and no bookmark for ~60 s) arrives.
      const health = informer.health();
      assert.equal(health.consecutiveErrors, 0, `after a successful list: ${JSON.stringify(health)}`);
      assert.equal(ready(informer), true);
      assert.equal(health.lastError, undefined);
    } finally {
      controller.abort();
      await done;
      await readerClient.close();
    }
  });
});
