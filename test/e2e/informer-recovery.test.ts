/**
 * How the informer's list/watch loop recovers, on a real kube-apiserver + etcd:
 * - a proxy that answers every watch with 200 and closes at once (a misbehaving load balancer or
 *   API gateway) must not turn the loop into a tight request loop: a watch that ends within a
 *   second without an event counts as a failure and backs off (client-go's "very short watch");
 * - once RBAC lets a list through after 403s, the informer reads healthy at once (readiness
 *   green), not only after the first watch event or bookmark (~60 s later on a quiet type).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { Agent, request } from "undici";
import { KubeClient, type KubeObject, type ResourceType } from "../../src/kube/index.js";
import { Informer } from "../../src/cache/informer.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { renderKubeconfig } from "../../src/testing/control-plane/credentials.js";

const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const namespaces: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };
const serviceAccounts: ResourceType = {
  group: "",
  version: "v1",
  apiVersion: "v1",
  kind: "ServiceAccount",
  plural: "serviceaccounts",
  namespaced: true,
};
const roles: ResourceType = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  plural: "roles",
  namespaced: true,
};
const roleBindings: ResourceType = { ...roles, kind: "RoleBinding", plural: "rolebindings" };

/** The readiness rule of runOperators and the Nest status: synced and fewer than 3 errors in a row. */
const ready = (informer: Informer): boolean => informer.health().synced && informer.health().consecutiveErrors < 3;

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A plain-HTTP loopback proxy to the API server that forwards every request except watches,
 * which it answers with 200 and an empty body at once.
 */
async function startWatchClosingProxy(cp: LocalControlPlane): Promise<{ url: string; watches: () => number; close: () => Promise<void> }> {
  const upstream = new Agent({ connect: { ca: cp.caCert } });
  let watches = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://proxy");
      if (url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true") {
        watches++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end();
        return;
      }
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "accept", "user-agent"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      const answer = await request(cp.server + (req.url ?? "/"), {
        method: (req.method ?? "GET") as "GET",
        headers,
        body: body.length > 0 ? body : null,
        dispatcher: upstream,
      });
      const payload = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, { "content-type": String(answer.headers["content-type"] ?? "application/json") });
      res.end(payload);
    })().catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    watches: () => watches,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}

const cm = (namespace: string, name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data: {},
});

describe("Informer recovery on a real control plane", { timeout: 120_000 }, () => {
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

  it("backs off when a proxy answers every watch with 200 and closes it at once", async () => {
    await client.create(configMaps, cm("default", "behind-proxy"));
    const proxy = await startWatchClosingProxy(cp);
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: "proxy", server: proxy.url, skipTLSVerify: true }, { name: "admin", token: cp.adminToken });
    const proxied = KubeClient.fromKubeConfig(kc);
    const informer = new Informer({ client: proxied, type: configMaps, namespace: "default" });
    const controller = new AbortController();
    const done = informer.start(controller.signal);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      assert.ok(informer.store.get("default", "behind-proxy"), "lists go through the proxy");
      const before = proxy.watches();
      await sleep(3_000);
      const inThreeSeconds = proxy.watches() - before;
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
    await client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await client.create(configMaps, cm(ns, "quiet"));
    await client.create(serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "reader", namespace: ns } });
    const tokenRequest = (await client.request("POST", `/api/v1/namespaces/${ns}/serviceaccounts/reader/token`, {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    })) as { status: { token: string } };
    const kc = new KubeConfig();
    kc.loadFromString(renderKubeconfig(cp.server, cp.caCert, tokenRequest.status.token, "reader"));
    const readerClient = KubeClient.fromKubeConfig(kc);
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
      await until("three 403s", () => errors.length >= 3, 10_000);
      assert.ok(
        errors.every((code) => code === 403),
        `errors: ${errors}`,
      );
      assert.equal(ready(informer), false, "not ready while RBAC forbids the list");

      await client.create(roles, {
        apiVersion: roles.apiVersion,
        kind: "Role",
        metadata: { name: "cm-reader", namespace: ns },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }],
      });
      await client.create(roleBindings, {
        apiVersion: roles.apiVersion,
        kind: "RoleBinding",
        metadata: { name: "cm-reader", namespace: ns },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cm-reader" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: ns }],
      });
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
