/**
 * The informer against a real kube-apiserver + etcd (LocalControlPlane): initial list then watch
 * events in order, label selectors, watches the server closes, inactivity, 403 until RBAC allows
 * (client-node's informer stops for good there), 410 Gone after etcd compaction with a relist
 * that reports the objects deleted while the watch was down.
 *
 * The only thing not real is a network outage: `GatedClient` can cut the watch stream and hold
 * new watches back, standing in for a broken connection. Every answer still comes from the server.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient, type ResourceType, type WatchEvent } from "../../src/kube/index.js";
import { Informer, type InformerEvent, type InformerOptions, type ListWatchClient } from "../../src/cache/informer.js";
import { grantRole, newServiceAccountClient, READ_CONFIGMAPS } from "./support/service-account.js";
import { waitFor } from "./support/wait.js";
import { configMap, configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

/** Counts list calls and can cut watch streams and hold new ones back (a simulated outage). */
class GatedClient implements ListWatchClient {
  lists: Array<{ resourceVersion?: string; continue?: string; limit?: number }> = [];
  watches: Array<{ resourceVersion?: string; timeoutSeconds?: number; allowWatchBookmarks?: boolean }> = [];
  private outage: { promise: Promise<void>; end: () => void } | undefined;
  private readonly streams = new Set<AbortController>();

  constructor(private readonly inner: KubeClient) {}

  list(type: ResourceType, opts: NonNullable<Parameters<ListWatchClient["list"]>[1]> = {}) {
    this.lists.push({ resourceVersion: opts.resourceVersion, continue: opts.continue, limit: opts.limit });
    return this.inner.list(type, opts);
  }

  async *watch(type: ResourceType, opts: Parameters<ListWatchClient["watch"]>[1]): AsyncGenerator<WatchEvent> {
    while (this.outage) await this.outage.promise;
    this.watches.push({
      resourceVersion: opts.resourceVersion,
      timeoutSeconds: opts.timeoutSeconds,
      allowWatchBookmarks: opts.allowWatchBookmarks,
    });
    const cut = new AbortController();
    this.streams.add(cut);
    const signal = AbortSignal.any([opts.signal, cut.signal]);
    try {
      yield* this.inner.watch(type, { ...opts, signal });
      if (cut.signal.aborted && !opts.signal.aborted && cut.signal.reason !== "end") throw new Error("connection reset (simulated outage)");
    } finally {
      this.streams.delete(cut);
    }
  }

  /**
   * Breaks open watches (a connection reset, or with `reset: false` a clean end of the stream, as
   * when the server ends a watch) and blocks new ones until `restore()`.
   */
  cut(options: { reset?: boolean } = {}): void {
    let end!: () => void;
    const promise = new Promise<void>((resolve) => (end = resolve));
    this.outage = { promise, end };
    for (const stream of this.streams) stream.abort(options.reset === false ? "end" : "reset");
  }

  restore(): void {
    const outage = this.outage;
    this.outage = undefined;
    outage?.end();
  }
}

/** Runs an informer until the returned stop() is called; records what listeners see. */
function run(informer: Informer) {
  const events: InformerEvent[] = [];
  informer.on((e) => events.push(e));
  const controller = new AbortController();
  const done = informer.start(controller.signal);
  return {
    events,
    names: (type?: InformerEvent["type"]) => events.filter((e) => !type || e.type === type).map((e) => e.object.metadata?.name),
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

/**
 * Runs a paged informer (watchList off, so LIST requests count) of the ConfigMaps in `ns` through a
 * GatedClient on `client`, recording its watch restarts' reasons.
 */
function runGated(client: KubeClient, ns: string, options: Omit<InformerOptions, "client" | "type" | "namespace" | "metrics">) {
  const gated = new GatedClient(client);
  const restarts: string[] = [];
  const informer = new Informer({
    client: gated,
    type: configMaps,
    namespace: ns,
    watchList: false,
    metrics: { watchRestart: (_r, reason) => restarts.push(reason), informerObjects: () => {} },
    ...options,
  });
  return { gated, restarts, informer, r: run(informer) };
}

describe("Informer on a real control plane", { timeout: 180_000 }, () => {
  const plane = withControlPlane();

  async function namespace(name: string): Promise<string> {
    await plane.client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    return name;
  }

  it("lists existing objects (resourceVersion=0, limited pages), then reports watch events in order", async () => {
    const ns = await namespace("inf-order");
    for (let i = 0; i < 5; i++) await plane.client.create(configMaps, configMap(ns, `pre-${i}`));
    const gated = new GatedClient(plane.client);
    const informer = new Informer({ client: gated, type: configMaps, namespace: ns, pageSize: 2, watchList: false });
    const r = run(informer);
    try {
      await informer.waitForSync(AbortSignal.timeout(10_000));
      // resourceVersion=0 is served from the watch cache, which may lag etcd by a few ms: an
      // object missing from that list then arrives through the watch (as with client-go).
      await waitFor("all five", () => informer.store.size === 5);
      assert.deepEqual(r.names("ADDED").sort(), ["pre-0", "pre-1", "pre-2", "pre-3", "pre-4"]);
      console.log(`first list: ${gated.lists.length} request(s) of limit 2 at resourceVersion=0`);
      assert.deepEqual(gated.lists[0], { resourceVersion: "0", continue: undefined, limit: 2 });
      const fromStore = informer.store.get(ns, "pre-0")!;
      assert.equal(fromStore.apiVersion, "v1");
      assert.equal(fromStore.kind, "ConfigMap", "list items get their kind back");

      await plane.client.create(configMaps, configMap(ns, "x", { v: "1" }));
      await plane.client.patch(configMaps, ns, "x", { data: { v: "2" } }, "merge");
      await plane.client.delete(configMaps, ns, "x");
      await waitFor("events of x", () => r.names().filter((n) => n === "x").length === 3);
      const ofX = r.events.filter((e) => e.object.metadata?.name === "x");
      assert.deepEqual(
        ofX.map((e) => e.type),
        ["ADDED", "MODIFIED", "DELETED"],
      );
      assert.equal(ofX[1]!.oldObject?.data && (ofX[1]!.oldObject.data as Record<string, string>).v, "1");
      assert.equal(informer.store.get(ns, "x"), undefined);
      assert.equal(gated.watches[0]?.allowWatchBookmarks, true);
      const t = gated.watches[0]?.timeoutSeconds ?? 0;
      assert.ok(t >= 300 && t <= 600, `timeoutSeconds ${t}`);
      assert.equal(informer.health().state, "Watching");
    } finally {
      await r.stop();
    }
    assert.equal(informer.health().state, "Stopped");
  });

  it("with a label selector sees only matching objects, and one that stops matching as DELETED", async () => {
    const ns = await namespace("inf-label");
    await plane.client.create(configMaps, configMap(ns, "match-1", {}, { app: "match" }));
    await plane.client.create(configMaps, configMap(ns, "other-1", {}, { app: "other" }));
    const informer = new Informer({
      client: plane.client,
      type: configMaps,
      namespace: ns,
      labelSelector: "app=match",
      indexLabels: ["app"],
    });
    const r = run(informer);
    try {
      await informer.waitForSync();
      // A list at resourceVersion=0 may lag etcd by a few ms (see the first test): wait, then check exactly.
      await waitFor("match-1", () => informer.store.get(ns, "match-1") !== undefined);
      assert.deepEqual(informer.store.keys(), [`${ns}/match-1`]);
      await plane.client.create(configMaps, configMap(ns, "other-2", {}, { app: "other" }));
      await plane.client.create(configMaps, configMap(ns, "match-2", {}, { app: "match" }));
      await waitFor("match-2", () => informer.store.size === 2);
      await plane.client.patch(configMaps, ns, "match-1", { metadata: { labels: { app: "other" } } }, "merge");
      await waitFor("match-1 leaves", () => informer.store.size === 1);
      assert.deepEqual(
        r.events.map((e) => `${e.type}:${e.object.metadata?.name}`),
        ["ADDED:match-1", "ADDED:match-2", "DELETED:match-1"],
      );
      assert.deepEqual(
        informer.store.byLabel("app", "match").map((o) => o.metadata?.name),
        ["match-2"],
      );
    } finally {
      await r.stop();
    }
  });

  it("resumes a watch the server closes from the last resourceVersion, without relisting or losing events", async () => {
    const ns = await namespace("inf-resume");
    const { gated, restarts, informer, r } = runGated(plane.client, ns, { watchTimeoutSeconds: 1 });
    try {
      await informer.waitForSync();
      const written: string[] = [];
      const started = Date.now();
      for (let i = 0; Date.now() - started < 4000; i++) {
        await plane.client.create(configMaps, configMap(ns, `c-${i}`));
        written.push(`c-${i}`);
        await sleep(80);
      }
      await waitFor("every create", () => r.events.length === written.length);
      assert.deepEqual(r.names("ADDED"), written, "every event, in order, exactly once");
      assert.equal(gated.lists.length, 1, "no relist");
      assert.ok(gated.watches.length >= 3, `the server closed the watch ${gated.watches.length - 1} times`);
      assert.ok(restarts.filter((x) => x === "closed").length >= 2);
      for (let i = 1; i < gated.watches.length; i++)
        assert.notEqual(
          gated.watches[i]!.resourceVersion,
          gated.watches[0]!.resourceVersion,
          "each re-watch starts from the latest version",
        );
      assert.equal(informer.health().consecutiveErrors, 0);
    } finally {
      await r.stop();
    }
  });

  it("re-opens a watch that stays silent past the inactivity timeout and keeps delivering", async () => {
    const ns = await namespace("inf-quiet");
    const { gated, restarts, informer, r } = runGated(plane.client, ns, { inactivityTimeoutMs: 700 });
    try {
      await informer.waitForSync();
      await waitFor("two inactivity restarts", () => restarts.filter((x) => x === "inactivity").length >= 2, { timeout: 10_000 });
      await plane.client.create(configMaps, configMap(ns, "after-quiet"));
      await waitFor("after-quiet", () => r.names().includes("after-quiet"));
      assert.equal(gated.lists.length, 1);
    } finally {
      await r.stop();
    }
  });

  it("keeps retrying through 403 and syncs by itself once RBAC grants access", async () => {
    const ns = await namespace("inf-rbac");
    await plane.client.create(configMaps, configMap(ns, "secret-plans"));
    const readerClient = await newServiceAccountClient(plane.cp, plane.client, ns, "reader");
    const errors: number[] = [];
    const informer = new Informer({
      client: readerClient,
      type: configMaps,
      namespace: ns,
      onError: (_e, f) => errors.push(f.statusCode ?? 0),
    });
    const r = run(informer);
    try {
      await waitFor("two 403s", () => errors.length >= 2, { timeout: 10_000 });
      assert.ok(
        errors.every((code) => code === 403),
        `errors: ${errors}`,
      );
      const health = informer.health();
      assert.equal(health.synced, false);
      assert.ok(health.consecutiveErrors >= 2);
      assert.match(health.lastError ?? "", /403|forbidden/i);

      await grantRole(plane.client, ns, "cm-reader", [READ_CONFIGMAPS], "reader");
      const granted = Date.now();
      await informer.waitForSync(AbortSignal.timeout(30_000));
      assert.ok(informer.store.get(ns, "secret-plans"));
      await plane.client.create(configMaps, configMap(ns, "later"));
      await waitFor("watch works", () => r.names().includes("later"));
      assert.equal(informer.health().consecutiveErrors, 0);
      console.log(`informer synced ${Date.now() - granted} ms after the RoleBinding, after ${errors.length} failures`);
    } finally {
      await r.stop();
      await readerClient.close();
    }
  });
});

/**
 * 410 needs history the server no longer has: no watch cache, and etcd compacted every second
 * (see the kube client's e2e test). The watch is held down by a simulated outage meanwhile.
 */
describe("Informer across 410 Gone", { timeout: 120_000 }, () => {
  const plane = withControlPlane({ extraApiServerFlags: ["--watch-cache=false", "--etcd-compaction-interval=1s"] });

  it("relists with an empty resourceVersion and reports what changed while the watch was down, deletions included", async () => {
    const ns = "default";
    for (const name of ["keep", "change", "remove"])
      await plane.client.create(configMaps, configMap(ns, name, { v: "1" }, { set: "gone-test" }));
    const { gated, restarts, informer, r } = runGated(plane.client, ns, { labelSelector: "set=gone-test", pageSize: 2 });
    try {
      await informer.waitForSync();
      assert.equal(informer.store.size, 3);
      // Without the watch cache the server honours the limit: 3 objects in pages of 2.
      const initialLists = gated.lists.length;
      assert.equal(initialLists, 2);
      assert.deepEqual(gated.lists[0], { resourceVersion: "0", continue: undefined, limit: 2 });
      assert.ok(gated.lists[1]!.continue && gated.lists[1]!.resourceVersion === undefined, "a next page sends only the continue token");
      r.events.length = 0;

      // The server ends the watch (not a broken connection, after which the informer would list at
      // once: stale-cache-recovery.test.ts): the informer resumes from its version, meets 410 Gone
      // once the history is compacted, and relists.
      gated.cut({ reset: false });
      await plane.client.delete(configMaps, ns, "remove");
      await plane.client.patch(configMaps, ns, "change", { data: { v: "2" } }, "merge");
      await plane.client.create(configMaps, configMap(ns, "new", {}, { set: "gone-test" }));
      // Compact etcd past everything the informer has seen: two writes (its watch from version R
      // starts at revision R + 1, which must be below the compacted revision), then compaction
      // itself (not the API server's 1 s rounds, which a loaded machine stretches).
      for (const round of [1, 2]) {
        await plane.client.apply(configMaps, configMap(ns, "tick", { t: `${Date.now()}-${round}` }), { fieldManager: "e2e" });
      }
      await plane.cp.compactEtcd();
      gated.restore();

      await waitFor("the relist", () => gated.lists.length > initialLists, { timeout: 30_000 });
      await waitFor("the store converges", () => informer.store.size === 3 && !!informer.store.get(ns, "new"));
      assert.deepEqual(
        gated.lists[initialLists],
        { resourceVersion: "", continue: undefined, limit: 2 },
        "relist from etcd, not the cache",
      );
      assert.ok(restarts.includes("gone"), `restarts: ${restarts}`);
      assert.deepEqual(r.events.map((e) => `${e.type}:${e.object.metadata?.name}`).sort(), [
        "ADDED:new",
        "DELETED:remove",
        "MODIFIED:change",
      ]);
      const modified = r.events.find((e) => e.type === "MODIFIED")!;
      assert.equal((modified.object.data as Record<string, string>).v, "2");
      assert.equal((modified.oldObject!.data as Record<string, string>).v, "1");
      assert.deepEqual(informer.store.keys().sort(), [`${ns}/change`, `${ns}/keep`, `${ns}/new`]);

      // And the watch after the relist works.
      await plane.client.create(configMaps, configMap(ns, "after", {}, { set: "gone-test" }));
      await waitFor("after", () => r.names().includes("after"));
    } finally {
      await r.stop();
    }
  });
});
