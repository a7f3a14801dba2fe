/**
 * A silent watch on a real kube-apiserver + etcd, behind a loopback TCP proxy that can **stall**
 * connections: it stops forwarding bytes but keeps the sockets open (a half-dead load balancer,
 * a NAT table that dropped the flow). Nothing errors; only silence tells.
 *
 * - Only the open watch stalls (new connections work): an object created during the stall reaches
 *   the informer within 30 s (the watch probe sees the event the main watch missed and restarts it),
 *   not after the 150 s inactivity timeout.
 * - Everything stalls, the established watch included (it never errors): readiness turns red within
 *   30 s (it stayed green "Watching" for good before), and green again once the stall ends.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../../src/kube/index.js";
import { Informer } from "../../src/cache/informer.js";
import { createLogger } from "../../src/observability/logger.js";
import { informerRunnable } from "../../src/manager/runnables.js";
import { FaultProxy } from "../../src/testing/index.js";
import { waitFor } from "./support/wait.js";
import { configMap, configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

/** Waits for `check` (polled every 100 ms) and answers how long that took, in ms. */
async function until(what: string, check: () => boolean, timeout: number): Promise<number> {
  const started = Date.now();
  await waitFor(what, check, { timeout, interval: 100 });
  return Date.now() - started;
}

describe("a silently stalled watch", { timeout: 150_000 }, () => {
  const plane = withControlPlane();

  /** An informer on ConfigMaps of `ns` whose requests all go through `proxy`. */
  function proxiedInformer(proxy: FaultProxy, ns: string, requestTimeoutMs?: number): { informer: Informer; proxied: KubeClient } {
    // The apiserver's certificate names 127.0.0.1: TLS through the TCP proxy verifies as usual.
    const proxied = KubeClient.fromKubeConfig(
      plane.cp.kubeConfigFor({ server: proxy.url }),
      requestTimeoutMs !== undefined ? { requestTimeoutMs } : {},
    );
    const informer = new Informer({
      client: proxied,
      type: configMaps,
      namespace: ns,
      logger: createLogger({ level: "warn", format: "json" }),
    });
    return { informer, proxied };
  }

  it("sees an object created while its open watch is stalled within 30 s", async () => {
    const ns = "stall-watch";
    await plane.client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const proxy = await FaultProxy.start(plane.cp.server);
    // A request timeout longer than the test: a write on a stalled pooled connection would hang.
    const { informer, proxied } = proxiedInformer(proxy, ns, 300_000);
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      await proxied.list(configMaps, { namespace: ns }); // leaves an idle keep-alive connection in the request pool
      await plane.client.create(configMaps, configMap(ns, "before-stall"));
      await until("the watch to deliver an event", () => informer.store.get(ns, "before-stall") !== undefined, 10_000);
      const stalled = proxy.stall();
      assert.ok(stalled >= 1, "the open watch goes through the proxy");
      await plane.client.create(configMaps, configMap(ns, "during-stall"));
      const took = await until(
        "the informer to see the object created during the stall",
        () => informer.store.get(ns, "during-stall") !== undefined,
        30_000,
      );
      console.log(`object created during a stalled watch seen after ${took} ms; health ${JSON.stringify(informer.health())}`);
      // The stalled idle connection was dropped with the watch's: a write through the same client
      // goes out on a new connection instead of waiting out the request timeout.
      const wrote = proxied.create(configMaps, configMap(ns, "after-stall"));
      const giveUp = new AbortController();
      const verdict = await Promise.race([
        wrote.then(() => "written"),
        sleep(20_000, "hung", { signal: giveUp.signal }).catch(() => "hung"),
      ]);
      giveUp.abort();
      assert.equal(verdict, "written", "a write reused a stalled keep-alive connection");
    } finally {
      controller.abort();
      await done;
      await proxied.close();
      await proxy.close();
    }
  });

  it("turns readiness red within 30 s when everything stalls, and green once the stall ends", async () => {
    const ns = "stall-all";
    await plane.client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await plane.client.create(configMaps, configMap(ns, "quiet"));
    const proxy = await FaultProxy.start(plane.cp.server);
    const { informer, proxied } = proxiedInformer(proxy, ns);
    const readiness = informerRunnable(informer, { needsLeaderElection: false }).readiness!;
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      assert.equal(readiness().ok, true, `ready after the list: ${readiness().detail}`);
      // The watch is established (it delivered an event) before the stall: it will never error.
      await plane.client.create(configMaps, configMap(ns, "before-stall"));
      await until("the watch to deliver an event", () => informer.store.get(ns, "before-stall") !== undefined, 10_000);
      proxy.stall({ newConnections: true });
      // Expected at ~25-27 s (the silence bound, or the probe's delay and deadline): margin for load.
      const red = await until("readiness to turn red", () => !readiness().ok, 45_000);
      console.log(`readiness red ${red} ms after the stall: ${readiness().detail}`);
      // The stall ends as after a NAT entry expired: the stalled connections are cut, new ones pass.
      proxy.reset();
      proxy.resume();
      const green = await until("readiness to turn green again", () => readiness().ok, 30_000);
      console.log(`readiness green ${green} ms after the stall ended: ${readiness().detail}`);
      await plane.client.create(configMaps, configMap(ns, "after-stall"));
      await until("the watch to work again", () => informer.store.get(ns, "after-stall") !== undefined, 30_000);
    } finally {
      controller.abort();
      await done;
      await proxied.close();
      await proxy.close();
    }
  });
});
