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
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient, type KubeObject, type ResourceType } from "../../src/kube/index.js";
import { Informer } from "../../src/cache/informer.js";
import { createLogger } from "../../src/observability/logger.js";
import { informerRunnable } from "../../src/manager/runnables.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { renderKubeconfig } from "../../src/testing/control-plane/credentials.js";

const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const namespaces: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

/** One proxied connection: forwarding in both directions unless stalled. */
interface Pipe {
  client: Socket;
  upstream: Socket;
  stalled: boolean;
}

/**
 * A TCP proxy on loopback. `stallOpen()` stalls the connections open now (bytes are dropped, the
 * sockets stay open); `stallAll()` stalls those and every later one until `resume()`.
 */
class StallingProxy {
  private readonly pipes = new Set<Pipe>();
  private stallNew = false;
  private server!: Server;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      const pipe: Pipe = { client, upstream, stalled: this.stallNew };
      this.pipes.add(pipe);
      client.on("data", (chunk: Buffer) => {
        if (!pipe.stalled) upstream.write(chunk);
      });
      upstream.on("data", (chunk: Buffer) => {
        if (!pipe.stalled) client.write(chunk);
      });
      const end = (): void => {
        this.pipes.delete(pipe);
        client.destroy();
        upstream.destroy();
      };
      client.on("close", end).on("error", end);
      upstream.on("close", end).on("error", end);
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stalls every connection open now; returns how many. */
  stallOpen(): number {
    for (const pipe of this.pipes) pipe.stalled = true;
    return this.pipes.size;
  }

  /** Stalls every open and every new connection. */
  stallAll(): void {
    this.stallNew = true;
    this.stallOpen();
  }

  /**
   * Ends a stall: stalled connections are cut (their TLS streams lost bytes and cannot recover,
   * as after a NAT entry expires), new ones are forwarded.
   */
  resume(): void {
    this.stallNew = false;
    for (const pipe of [...this.pipes]) {
      if (pipe.stalled) {
        pipe.client.destroy();
        pipe.upstream.destroy();
        this.pipes.delete(pipe);
      }
    }
  }

  async close(): Promise<void> {
    this.resume();
    for (const pipe of [...this.pipes]) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

const cm = (namespace: string, name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data: {},
});

describe("a silently stalled watch", { timeout: 150_000 }, () => {
  let cp: LocalControlPlane;
  let client: KubeClient;

  before(async () => {
    cp = await LocalControlPlane.start({ controllerManager: false });
    client = KubeClient.fromKubeConfig(cp.kubeConfig);
  });
  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  /** An informer on ConfigMaps of `ns` whose requests all go through `proxy`. */
  function proxiedInformer(proxy: StallingProxy, ns: string, requestTimeoutMs?: number): { informer: Informer; proxied: KubeClient } {
    const kc = new KubeConfig();
    // The apiserver's certificate names 127.0.0.1: TLS through the TCP proxy verifies as usual.
    kc.loadFromString(renderKubeconfig(`https://127.0.0.1:${proxy.port}`, cp.caCert, cp.adminToken));
    const proxied = KubeClient.fromKubeConfig(kc, requestTimeoutMs !== undefined ? { requestTimeoutMs } : {});
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
    await client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const url = new URL(cp.server);
    const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port) });
    await proxy.start();
    // A request timeout longer than the test: a write on a stalled pooled connection would hang.
    const { informer, proxied } = proxiedInformer(proxy, ns, 300_000);
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      await proxied.list(configMaps, { namespace: ns }); // leaves an idle keep-alive connection in the request pool
      await client.create(configMaps, cm(ns, "before-stall"));
      await until("the watch to deliver an event", () => informer.store.get(ns, "before-stall") !== undefined, 10_000);
      const stalled = proxy.stallOpen();
      assert.ok(stalled >= 1, "the open watch goes through the proxy");
      await client.create(configMaps, cm(ns, "during-stall"));
      const took = await until(
        "the informer to see the object created during the stall",
        () => informer.store.get(ns, "during-stall") !== undefined,
        30_000,
      );
      console.log(`object created during a stalled watch seen after ${took} ms; health ${JSON.stringify(informer.health())}`);
      // The stalled idle connection was dropped with the watch's: a write through the same client
      // goes out on a new connection instead of waiting out the request timeout.
      const wrote = proxied.create(configMaps, cm(ns, "after-stall"));
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
    await client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await client.create(configMaps, cm(ns, "quiet"));
    const url = new URL(cp.server);
    const proxy = new StallingProxy({ host: url.hostname, port: Number(url.port) });
    await proxy.start();
    const { informer, proxied } = proxiedInformer(proxy, ns);
    const readiness = informerRunnable(informer, { needsLeaderElection: false }).readiness!;
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      assert.equal(readiness().ok, true, `ready after the list: ${readiness().detail}`);
      // The watch is established (it delivered an event) before the stall: it will never error.
      await client.create(configMaps, cm(ns, "before-stall"));
      await until("the watch to deliver an event", () => informer.store.get(ns, "before-stall") !== undefined, 10_000);
      proxy.stallAll();
      const red = await until("readiness to turn red", () => !readiness().ok, 30_000);
      console.log(`readiness red ${red} ms after the stall: ${readiness().detail}`);
      proxy.resume();
      const green = await until("readiness to turn green again", () => readiness().ok, 30_000);
      console.log(`readiness green ${green} ms after the stall ended: ${readiness().detail}`);
      await client.create(configMaps, cm(ns, "after-stall"));
      await until("the watch to work again", () => informer.store.get(ns, "after-stall") !== undefined, 30_000);
    } finally {
      controller.abort();
      await done;
      await proxied.close();
      await proxy.close();
    }
  });
});
