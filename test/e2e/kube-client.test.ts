/**
 * The kube client against a real kube-apiserver + etcd (LocalControlPlane): CRUD, paging,
 * server-side apply (object and status), conflicts, watches (events, bookmarks, 410), discovery,
 * and bounded connection reuse.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { eventually } from "../../src/testing/index.js";
import {
  Discovery,
  isConflict,
  isGone,
  isNotFound,
  isTooManyRequests,
  KindNotServedError,
  type ApiError,
  KubeClient,
  apiErrorFromStatus,
  type KubeObject,
  type RequestEvent,
  type ResourceType,
  type WatchEvent,
} from "../../src/kube/index.js";
import { configMaps, namespaces } from "./support/core-types.js";
import { testCrd } from "./fixtures/crds.js";
import { withControlPlane } from "./support/control-plane.js";

const crds: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  plural: "customresourcedefinitions",
  namespaced: false,
};
const widgets: ResourceType = {
  group: "kube-client.test.tsoperator.dev",
  version: "v1",
  apiVersion: "kube-client.test.tsoperator.dev/v1",
  kind: "Widget",
  plural: "widgets",
  namespaced: true,
};

const widgetCrd = testCrd(widgets.kind, {
  group: widgets.group,
  listKind: true,
  status: { type: "object", properties: { phase: { type: "string" }, observedGeneration: { type: "integer" } } },
});

const NS = "kube-client-e2e";

/** ESTABLISHED TCP connections from this process to `port` (sockets of /proc/self/fd matched in /proc/net/tcp{,6}). */
function establishedSocketsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remotePort = cols[2]?.split(":")[1];
      if (remotePort === hexPort && cols[3] === "01" && inodes.has(cols[9] ?? "")) count++;
    }
  }
  return count;
}

describe("KubeClient against a real control plane", { timeout: 240_000 }, () => {
  const events: RequestEvent[] = [];
  const plane = withControlPlane({
    client: { onRequest: (e) => events.push(e) },
    setUp: ({ client }) => client.create(namespaces, { metadata: { name: NS } }),
  });

  it("creates, gets and lists in pages with apiVersion/kind restored", async () => {
    for (let i = 0; i < 30; i++) {
      await plane.client.create(configMaps, {
        metadata: { name: `page-${String(i).padStart(2, "0")}`, namespace: NS, labels: { set: "paged" } },
        data: { i: String(i), text: "grüße 日本" },
      });
    }
    const one = await plane.client.get(configMaps, NS, "page-07");
    assert.equal((one!.data as Record<string, string>).text, "grüße 日本");
    assert.equal(await plane.client.get(configMaps, NS, "does-not-exist"), undefined);

    const pages: KubeObject[][] = [];
    let token: string | undefined;
    do {
      const page = await plane.client.list(configMaps, {
        namespace: NS,
        labelSelector: "set=paged",
        limit: 7,
        ...(token ? { continue: token } : {}),
      });
      assert.ok(page.resourceVersion);
      pages.push(page.items);
      token = page.continue;
    } while (token);
    assert.deepEqual(
      pages.map((p) => p.length),
      [7, 7, 7, 7, 2],
    );
    const all = pages.flat();
    assert.equal(new Set(all.map((o) => o.metadata?.name)).size, 30);
    for (const item of all) {
      assert.equal(item.apiVersion, "v1");
      assert.equal(item.kind, "ConfigMap");
    }

    const everything = await plane.client.listAll(configMaps, { namespace: NS, labelSelector: "set=paged", limit: 4 });
    assert.equal(everything.items.length, 30);
    assert.ok(Number(everything.resourceVersion) > 0);
    assert.ok(everything.items.every((o) => o.kind === "ConfigMap" && o.apiVersion === "v1"));

    const metric = events.find(
      (e) => e.method === "GET" && e.resource === "/api/v1/namespaces/{namespace}/configmaps/{name}" && e.code === 404,
    );
    assert.ok(metric, "the metrics hook saw the 404 with a templated path");
    assert.equal(metric.host, new URL(plane.cp.server).host);
  });

  it("applies twice without a second write, and refuses a stale replace with a conflict", async () => {
    const desired = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "applied", namespace: NS }, data: { a: "1" } };
    const first = await plane.client.apply(configMaps, desired, { fieldManager: "kube-client-e2e" });
    const second = await plane.client.apply(configMaps, desired, { fieldManager: "kube-client-e2e", force: true });
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.equal(first.metadata?.managedFields?.[0]?.manager, "kube-client-e2e");

    const changed = await plane.client.apply(configMaps, { ...desired, data: { a: "2" } }, { fieldManager: "kube-client-e2e" });
    assert.notEqual(changed.metadata?.resourceVersion, first.metadata?.resourceVersion);

    const stale = { ...first, data: { a: "stale" } };
    await assert.rejects(
      plane.client.replace(configMaps, stale),
      (err) => isConflict(err) && /PUT \/api\/v1\/namespaces\/kube-client-e2e\/configmaps\/applied/.test((err as Error).message),
    );
    const replaced = await plane.client.replace(configMaps, { ...changed, data: { a: "3" } });
    assert.deepEqual(replaced.data, { a: "3" });

    const merged = await plane.client.patch(configMaps, NS, "applied", { data: { b: "x" } }, "merge");
    assert.deepEqual(merged.data, { a: "3", b: "x" });
    const jsonPatched = await plane.client.patch(configMaps, NS, "applied", [{ op: "remove", path: "/data/b" }], "json");
    assert.deepEqual(jsonPatched.data, { a: "3" });
  });

  it("deletes, then reports NotFound as undefined", async () => {
    await plane.client.create(configMaps, { metadata: { name: "doomed", namespace: NS } });
    const deleted = await plane.client.delete(configMaps, NS, "doomed", { propagationPolicy: "Background" });
    assert.ok(deleted);
    assert.equal(await plane.client.get(configMaps, NS, "doomed"), undefined);
    assert.equal(await plane.client.delete(configMaps, NS, "doomed"), undefined);
    await assert.rejects(plane.client.request("GET", `/api/v1/namespaces/${NS}/configmaps/doomed`), (err) => isNotFound(err));
  });

  it("applies status on a custom resource with a status subresource; discovery finds the new kind", async () => {
    await plane.client.apply(crds, widgetCrd, { fieldManager: "kube-client-e2e" });
    await eventually(async () => {
      const crd = await plane.client.get(crds, undefined, widgetCrd.metadata!.name!);
      const conditions = (crd?.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? [];
      assert.ok(conditions.some((c) => c.type === "Established" && c.status === "True"));
    });
    const discovery = new Discovery(plane.client);
    // The resource answers 404 for ~2 s after Established: retry.
    const created = await eventually(() =>
      plane.client.apply(
        widgets,
        {
          apiVersion: widgets.apiVersion,
          kind: widgets.kind,
          metadata: { name: "w1", namespace: NS },
          spec: { size: 3, free: { form: true } },
        },
        { fieldManager: "kube-client-e2e" },
      ),
    );
    assert.deepEqual(created.spec, { size: 3, free: { form: true } }, "x-kubernetes-preserve-unknown-fields kept the spec");

    const withStatus = await plane.client.applyStatus(
      widgets,
      {
        apiVersion: widgets.apiVersion,
        kind: widgets.kind,
        metadata: { name: "w1", namespace: NS },
        status: { phase: "Ready", observedGeneration: 1 },
      },
      { fieldManager: "kube-client-e2e", force: true },
    );
    assert.deepEqual(withStatus.status, { phase: "Ready", observedGeneration: 1 });
    const read = await plane.client.get(widgets, NS, "w1");
    assert.deepEqual(read?.status, { phase: "Ready", observedGeneration: 1 });
    assert.deepEqual(read?.spec, { size: 3, free: { form: true } });

    assert.deepEqual(await discovery.resolve(widgets.apiVersion, "Widget"), widgets);
  });

  it("discovery resolves core, cluster-scoped and group kinds and names the missing ones", async () => {
    const discovery = new Discovery(plane.client);
    assert.deepEqual(await discovery.resolve("v1", "ConfigMap"), configMaps);
    assert.deepEqual(await discovery.resolve("v1", "Namespace"), namespaces);
    assert.deepEqual(await discovery.resolve("apps/v1", "Deployment"), {
      group: "apps",
      version: "v1",
      apiVersion: "apps/v1",
      kind: "Deployment",
      plural: "deployments",
      namespaced: true,
    });
    await assert.rejects(
      discovery.resolve("v1", "Gizmo"),
      (err) => err instanceof KindNotServedError && /Gizmo.*not served.*CustomResourceDefinition/s.test(err.message),
    );
    await assert.rejects(
      discovery.resolve("nowhere.example.com/v1", "Thing"),
      (err) => err instanceof KindNotServedError && /group-version nowhere.example.com\/v1 is not served/.test(err.message),
    );
  });

  it("watches ADDED, MODIFIED, DELETED and BOOKMARK until the server closes the stream", async () => {
    const start = await plane.client.list(configMaps, { namespace: NS, labelSelector: "set=watched" });
    const controller = new AbortController();
    const seen: WatchEvent[] = [];
    const watching = (async () => {
      for await (const event of plane.client.watch(configMaps, {
        namespace: NS,
        labelSelector: "set=watched",
        resourceVersion: start.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: 4,
        signal: controller.signal,
      })) {
        seen.push(event);
      }
    })();
    await sleep(200);
    await plane.client.create(configMaps, { metadata: { name: "watched", namespace: NS, labels: { set: "watched" } }, data: { v: "1" } });
    await plane.client.patch(configMaps, NS, "watched", { data: { v: "2" } }, "merge");
    await plane.client.delete(configMaps, NS, "watched");
    const began = Date.now();
    await watching; // the server ends the stream after timeoutSeconds
    assert.ok(Date.now() - began < 15_000);
    const types = seen.map((e) => e.type);
    assert.deepEqual(
      types.filter((t) => t !== "BOOKMARK"),
      ["ADDED", "MODIFIED", "DELETED"],
    );
    assert.ok(types.includes("BOOKMARK"), `a bookmark arrived before the timeout (got ${types.join(",")})`);
    const bookmark = seen.find((e) => e.type === "BOOKMARK");
    assert.ok(Number(bookmark?.object.metadata?.resourceVersion) > Number(start.resourceVersion));
    assert.equal(seen[0]?.object.metadata?.name, "watched");
  });

  it("ends a watch quietly on abort", async () => {
    const controller = new AbortController();
    const seen: WatchEvent[] = [];
    const watching = (async () => {
      for await (const event of plane.client.watch(configMaps, { namespace: NS, signal: controller.signal })) seen.push(event);
    })();
    await eventually(() => assert.ok(seen.length >= 30, `the initial state came as ADDED events (${seen.length} so far)`), {
      timeout: 10_000,
    });
    controller.abort();
    await watching;
    assert.ok(seen.every((e) => e.type === "ADDED"));
  });

  it("authenticates through an exec plugin and runs it again after a 401", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-exec-"));
    const tokenFile = join(dir, "token");
    const plugin = join(dir, "plugin.mjs");
    writeFileSync(tokenFile, "not-a-valid-token");
    writeFileSync(
      plugin,
      `import { readFileSync } from "node:fs";
       process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential",
         status: { token: readFileSync(${JSON.stringify(tokenFile)}, "utf8") } }));`,
    );
    const kc = new KubeConfig();
    const { token: _admin, ...userWithoutToken } = plane.cp.kubeConfig.getCurrentUser()!;
    kc.loadFromClusterAndUser(plane.cp.kubeConfig.getCurrentCluster()!, {
      ...userWithoutToken,
      exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: [plugin], interactiveMode: "Never" },
    });
    const execClient = KubeClient.fromKubeConfig(kc, { authCacheMs: 60_000 });
    try {
      await assert.rejects(execClient.get(namespaces, undefined, NS), (err) => (err as ApiError).statusCode === 401);
      writeFileSync(tokenFile, plane.cp.adminToken);
      const before = execClient.stats().retries;
      const ns = await execClient.get(namespaces, undefined, NS);
      assert.equal(ns?.metadata?.name, NS);
      assert.equal(execClient.stats().retries, before + 1, "one 401, then the plugin ran again");
    } finally {
      await execClient.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reuses a bounded number of connections for 500 sequential and 500 concurrent requests", async () => {
    const limit = 8;
    const bounded = KubeClient.fromKubeConfig(plane.cp.kubeConfig, { connections: limit });
    const port = Number(new URL(plane.cp.server).port);
    const before = establishedSocketsTo(port);
    try {
      for (let i = 0; i < 500; i++) await bounded.get(configMaps, NS, `page-${String(i % 30).padStart(2, "0")}`);
      const afterSequential = bounded.stats();
      assert.ok(
        afterSequential.connectionsOpened <= 2,
        `sequential requests reuse their connection (opened ${afterSequential.connectionsOpened})`,
      );

      let next = 0;
      let peakSockets = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < 500) {
            const i = next++;
            await bounded.get(configMaps, NS, `page-${String(i % 30).padStart(2, "0")}`);
            if (i % 50 === 0) peakSockets = Math.max(peakSockets, establishedSocketsTo(port) - before);
          }
        }),
      );
      const stats = bounded.stats();
      assert.equal(stats.requests, 1000);
      assert.ok(stats.connectionsOpened <= limit, `opened ${stats.connectionsOpened} connections, limit ${limit}`);
      const sockets = establishedSocketsTo(port) - before;
      assert.ok(sockets <= limit && peakSockets <= limit, `ESTABLISHED sockets to the apiserver: ${sockets} now, ${peakSockets} at peak`);
      assert.ok(sockets >= 1, "the connections stay open for reuse (keep-alive)");
    } finally {
      await bounded.close();
    }
  });
});

/**
 * A constrained control plane. 410 Gone needs history the server no longer has. The watch cache never answers 410 in a short
 * test (it grows instead of evicting events younger than 75 s, and replays its initial state as
 * ADDED for any older resourceVersion), so this control plane runs without it and compacts etcd
 * every second: an old resourceVersion or continue token then really is gone. It also admits one
 * request at a time (max-requests-inflight, without priority and fairness) from anyone but
 * system:masters, so an impersonated user meets real 429 answers with Retry-After.
 */
describe("KubeClient on a compacting, throttling control plane", { timeout: 120_000 }, () => {
  const plane = withControlPlane({
    extraApiServerFlags: [
      "--watch-cache=false",
      "--etcd-compaction-interval=1s",
      "--enable-priority-and-fairness=false",
      "--max-requests-inflight=1",
      "--max-mutating-requests-inflight=1",
    ],
    setUp: async ({ client }) => {
      for (let i = 0; i < 5; i++) await client.create(configMaps, { metadata: { name: `old-${i}`, namespace: "default" } });
    },
  });

  /**
   * Compacts etcd past every resourceVersion read so far. Two writes first: a watch from version R
   * starts at revision R + 1, which must be below the compacted revision to answer 410. Compacted
   * directly (not by waiting out the API server's 1 s compaction rounds, which a loaded machine
   * stretches).
   */
  async function compactPastNow(): Promise<void> {
    for (const round of [1, 2]) {
      await plane.client.apply(
        configMaps,
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tick", namespace: "default" }, data: { t: `${Date.now()}-${round}` } },
        { fieldManager: "e2e" },
      );
    }
    await plane.cp.compactEtcd();
  }

  it("yields the 410 Status of a watch from a compacted resourceVersion as an ERROR event", async () => {
    const { resourceVersion } = await plane.client.list(configMaps, { namespace: "default" });
    await compactPastNow();
    const seen: WatchEvent[] = [];
    for await (const event of plane.client.watch(configMaps, {
      namespace: "default",
      resourceVersion,
      timeoutSeconds: 5,
      signal: new AbortController().signal,
    })) {
      seen.push(event);
    }
    assert.equal(seen.length, 1, `one event, then the server ends the stream (got ${seen.map((e) => e.type).join(",")})`);
    const error = seen[0]!;
    assert.equal(error.type, "ERROR");
    assert.equal(error.object.kind, "Status");
    assert.equal(error.object.code, 410);
    assert.equal(error.object.reason, "Expired");
    assert.ok(isGone(apiErrorFromStatus(error.object, "GET", "watch")));
  });

  it("reports an expired continue token as Gone, and listAll restarts the list from scratch", async () => {
    const first = await plane.client.list(configMaps, { namespace: "default", limit: 2 });
    assert.ok(first.continue);
    await compactPastNow();
    await assert.rejects(
      plane.client.list(configMaps, { namespace: "default", limit: 2, continue: first.continue }),
      (err) => isGone(err) && /continue parameter is too old/.test((err as Error).message),
    );

    // Pause listAll after its first page long enough for its continue token to expire.
    const pages: string[] = [];
    const original = plane.client.list.bind(plane.client);
    let paused = false;
    plane.client.list = async (type, opts) => {
      pages.push(opts?.continue ? "continue" : "first");
      const page = await original(type, opts);
      if (!paused) {
        paused = true;
        await compactPastNow();
      }
      return page;
    };
    try {
      const all = await plane.client.listAll(configMaps, { namespace: "default", limit: 2 });
      assert.deepEqual(all.items.map((o) => o.metadata?.name).sort(), ["old-0", "old-1", "old-2", "old-3", "old-4", "tick"]);
      assert.deepEqual(pages.slice(0, 3), ["first", "continue", "first"], "the expired token restarted the list");
    } finally {
      plane.client.list = original;
    }
  });

  it("honours Retry-After on 429 and retries a bounded number of times", async () => {
    const crb: ResourceType = {
      group: "rbac.authorization.k8s.io",
      version: "v1",
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      plural: "clusterrolebindings",
      namespaced: false,
    };
    await plane.client.create(crb, {
      metadata: { name: "throttled-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "throttled" }],
    });
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(plane.cp.kubeConfig.getCurrentCluster()!, {
      ...plane.cp.kubeConfig.getCurrentUser()!,
      impersonateUser: "throttled",
    });

    const burst = async (maxRetries: number) => {
      const codes: number[] = [];
      const throttled = KubeClient.fromKubeConfig(kc, { maxRetries, onRequest: (e) => codes.push(e.code) });
      try {
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => throttled.list(configMaps, { namespace: "default" })));
        return { results, codes, stats: throttled.stats() };
      } finally {
        await throttled.close();
      }
    };

    const rejectedIn = (run: Awaited<ReturnType<typeof burst>>) =>
      run.results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as ApiError);
    // A new client's burst can be spread out by its pool's TLS handshakes on a loaded machine, so
    // that no two requests meet (no 429 at all): a few bursts, until one does meet.
    let rejected = rejectedIn(await burst(0));
    for (let attempt = 2; attempt <= 5 && rejected.length === 0; attempt++) rejected = rejectedIn(await burst(0));
    assert.ok(rejected.length > 0, "one request at a time: the burst met 429s");
    for (const err of rejected) {
      assert.ok(isTooManyRequests(err));
      assert.equal(err.retryAfterSeconds, 1);
    }

    // One request at a time on a shared 2-core machine: give the herd enough rounds to drain.
    let withRetries = await burst(10);
    for (let attempt = 2; attempt <= 5 && withRetries.stats.retries === 0; attempt++) withRetries = await burst(10);
    assert.ok(
      withRetries.results.every((r) => r.status === "fulfilled"),
      "every request went through after waiting",
    );
    assert.ok(withRetries.stats.retries > 0 && withRetries.codes.filter((c) => c === 429).length === withRetries.stats.retries);
  });
});
