/**
 * The fault-injection tools of the local control plane, on the real thing: an API server killed
 * and restarted on the same port, certificate and data; the audit log read back as writes per user;
 * etcd compaction that makes an old resourceVersion answer 410 after a restart; and the loopback
 * FaultProxy passing, stalling and resetting connections.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { FaultProxy, LocalControlPlane } from "../../src/testing/index.js";

/** Minimal JSON client for `server` (the API server or a proxy in front of it) as `token`. */
function client(server: string, ca: string, token: string) {
  const agent = new Agent({ connect: { ca }, keepAliveTimeout: 60_000 });
  async function call(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown, signal?: AbortSignal) {
    const res = await request(server + path, {
      method,
      dispatcher: agent,
      signal,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text.startsWith("{") ? (JSON.parse(text) as any) : text };
  }
  return { call, agent, close: () => agent.close() };
}

const configMap = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v" } });
const CMS = "/api/v1/namespaces/default/configmaps";

describe("LocalControlPlane faults (real etcd + kube-apiserver)", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let admin: ReturnType<typeof client>;

  before(async () => {
    cp = await LocalControlPlane.start({ controllerManager: false, audit: true, users: [{ name: "alice" }] });
    admin = client(cp.server, cp.caCert, cp.adminToken);
  });
  after(async () => {
    await admin?.close();
    await cp?.stop();
  });

  it("a SIGKILLed API server comes back on the same port, certificate and data; the old client reconnects", async () => {
    assert.equal((await admin.call("POST", CMS, configMap("before-kill"))).status, 201);
    const oldPid = cp.pids.apiServer;
    await cp.stopApiServer(); // SIGKILL
    assert.ok(cp.isApiServerDown);
    await assert.rejects(admin.call("GET", "/readyz"), /ECONNREFUSED|other side closed|ECONNRESET/, "nothing listens while it is down");
    const readyAt = await cp.startApiServer();
    assert.ok(readyAt <= Date.now());
    assert.ok(!cp.isApiServerDown);
    assert.notEqual(cp.pids.apiServer, oldPid, "a new process");
    // The same client (same CA, same URL, same token) works at once: /readyz was OK before start returned.
    const got = await admin.call("GET", `${CMS}/before-kill`);
    assert.equal(got.status, 200, "etcd kept the data");
    assert.equal(got.body.data.k, "v");

    const restart = await cp.restartApiServer({ downMs: 500, signal: "SIGTERM", graceMs: 100 });
    assert.ok(restart.startedAt - restart.stoppedAt >= 500, "down for downMs");
    assert.ok(restart.readyAt >= restart.startedAt);
    assert.equal((await admin.call("GET", `${CMS}/before-kill`)).status, 200);
  });

  it("the audit log tells each user's writes: verb, resource, name, user, time", async () => {
    const since = Date.now() - 1; // audit timestamps have microseconds; the clocks are the same
    const alice = client(cp.server, cp.caCert, cp.tokenOf("alice"));
    try {
      assert.equal((await alice.call("POST", CMS, configMap("audit-a"))).status, 201);
      assert.equal((await alice.call("PATCH", `${CMS}/audit-a`, { data: { k: "w" } })).status, 200);
      assert.equal((await alice.call("POST", CMS, configMap("audit-a"))).status, 409, "a refused create is a write attempt too");
      assert.equal((await alice.call("DELETE", `${CMS}/audit-a`)).status, 200);
      assert.equal((await alice.call("GET", `${CMS}`)).status, 200, "reads are not recorded by the default policy");
    } finally {
      await alice.close();
    }
    assert.equal((await admin.call("POST", CMS, configMap("audit-b"))).status, 201);
    const writes = (await cp.auditWrites(since)).filter((w) => w.resource === "configmaps");
    const byAlice = writes.filter((w) => w.user === "alice");
    assert.deepEqual(
      byAlice.map((w) => [w.verb, w.name, w.namespace, w.code]),
      [
        ["create", "audit-a", "default", 201],
        ["patch", "audit-a", "default", 200],
        ["create", "audit-a", "default", 409],
        ["delete", "audit-a", "default", 200],
      ],
    );
    assert.ok(
      byAlice.every((w) => w.time.getTime() >= since - 1000 && w.time.getTime() <= Date.now()),
      "times are this test's",
    );
    assert.deepEqual(
      writes.filter((w) => w.user === "admin").map((w) => [w.verb, w.name]),
      [["create", "audit-b"]],
    );
  });

  it("etcd compaction and an API server restart make an old resourceVersion answer 410 Gone", async () => {
    const list = await admin.call("GET", CMS);
    const oldRv: string = list.body.metadata.resourceVersion;
    for (let i = 0; i < 3; i++) assert.equal((await admin.call("POST", CMS, configMap(`compact-${i}`))).status, 201);
    const revision = await cp.compactEtcd();
    assert.ok(revision > Number(oldRv), `compacted at ${revision}, past ${oldRv}`);
    await cp.restartApiServer();
    // The watch cache starts at the compacted revision: a watch from before it is expired.
    const abort = new AbortController();
    const res = await request(`${cp.server}${CMS}?watch=true&resourceVersion=${oldRv}`, {
      dispatcher: admin.agent,
      signal: abort.signal,
      headers: { authorization: `Bearer ${cp.adminToken}` },
    });
    let gone = res.statusCode === 410;
    if (res.statusCode === 200) {
      // Served as a watch whose first event is an ERROR with code 410.
      for await (const chunk of res.body) {
        const event = JSON.parse(chunk.toString().split("\n")[0]!);
        gone = event.type === "ERROR" && event.object?.code === 410;
        break;
      }
    }
    abort.abort();
    assert.ok(gone, `expected 410 Gone, got HTTP ${res.statusCode}`);
  });

  it("FaultProxy passes requests through, stalls them silently, resumes them intact and resets them", async () => {
    const proxy = await FaultProxy.start(cp.server);
    const viaProxy = client(proxy.url, cp.caCert, cp.adminToken);
    try {
      assert.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await viaProxy.call("GET", "/api/v1/namespaces/default")).status, 200, "TLS passes through: same CA");
      assert.ok(proxy.connectionCount >= 1);

      // Stalled: the request neither answers nor fails; it completes when the proxy resumes.
      assert.ok(proxy.stall() >= 1);
      let settled = false;
      const pending = viaProxy.call("GET", "/api/v1/namespaces/default").finally(() => (settled = true));
      await sleep(1500);
      assert.equal(settled, false, "a stalled request hangs without an error");
      assert.ok(proxy.stalledCount >= 1);
      // Only the connections open at stall() time hang: a new client gets through.
      const fresh = client(proxy.url, cp.caCert, cp.adminToken);
      assert.equal((await fresh.call("GET", "/api/v1/namespaces/default")).status, 200);
      await fresh.close();
      proxy.resume();
      assert.equal((await pending).status, 200, "held-back bytes arrive intact after resume");

      // stall({ newConnections: true }) makes new connections hang too.
      proxy.stall({ newConnections: true });
      const blocked = client(proxy.url, cp.caCert, cp.adminToken);
      const abort = new AbortController();
      let blockedSettled = false;
      const blockedCall = blocked.call("GET", "/readyz", undefined, abort.signal).finally(() => (blockedSettled = true));
      await sleep(1000);
      assert.equal(blockedSettled, false, "a new connection hangs as well");
      proxy.resume();
      assert.equal((await blockedCall).status, 200);
      await blocked.close();

      // Reset: an open watch through the proxy breaks with a connection error.
      const watchAbort = new AbortController();
      const res = await request(`${proxy.url}${CMS}?watch=true`, {
        dispatcher: viaProxy.agent,
        signal: watchAbort.signal,
        headers: { authorization: `Bearer ${cp.adminToken}` },
        bodyTimeout: 0,
      });
      assert.equal(res.statusCode, 200);
      const consumed = (async () => {
        for await (const _ of res.body) {
          // events of the default namespace's ConfigMaps; we wait for the reset
        }
      })();
      await sleep(200);
      assert.ok(proxy.reset() >= 1);
      await assert.rejects(consumed, /ECONNRESET|other side closed|terminated|socket/i, "the watch fails instead of hanging");
      watchAbort.abort();
      // After a reset the proxy passes again.
      assert.equal((await viaProxy.call("GET", "/api/v1/namespaces/default")).status, 200);
    } finally {
      await viaProxy.close().catch(() => {});
      await proxy.close();
    }
  });
});
