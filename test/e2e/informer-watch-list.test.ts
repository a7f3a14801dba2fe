/**
 * Streaming lists (WatchList) on a real control plane (v1.37: on by default): the informer fills its
 * cache from one watch with `sendInitialEvents=true` and the API server's audit log shows no LIST of
 * the type; it still sees later changes. With `watchList: false` it lists with pages (LIST in the log).
 * The audit policy records list and watch requests of configmaps (the default one records writes only).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubeClient, type ResourceType } from "../../src/kube/index.js";
import { Informer } from "../../src/cache/informer.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { waitFor } from "./support/wait.js";
import { configMap, configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

const READS_POLICY = [
  "apiVersion: audit.k8s.io/v1",
  "kind: Policy",
  "omitStages: [RequestReceived]",
  "rules:",
  "- level: Metadata",
  "  verbs: [list, watch]",
  "  resources: [{ group: '', resources: [configmaps] }]",
  "- level: None",
  "",
].join("\n");

interface ReadRecord {
  verb: string;
  namespace?: string;
  requestURI: string;
}

/** List and watch requests of configmaps in `ns`, from the audit log (a watch is logged when its response starts). */
async function reads(cp: LocalControlPlane, ns: string): Promise<ReadRecord[]> {
  const seen = new Map<string, ReadRecord>();
  for (const e of await cp.auditEvents()) {
    if (e.namespace === ns) seen.set(e.auditID, { verb: e.verb, namespace: e.namespace, requestURI: e.requestURI });
  }
  return [...seen.values()];
}

describe("Informer streaming lists (WatchList) on a real control plane", { timeout: 60_000 }, () => {
  const plane = withControlPlane({ audit: { policy: READS_POLICY } });

  async function namespaceWith(name: string, objects: number): Promise<string> {
    await plane.client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    for (let i = 0; i < objects; i++) await plane.client.create(configMaps, configMap(name, `cm-${i}`, { v: "1" }));
    return name;
  }

  it("syncs from one streaming watch (no LIST in the audit log) and then sees later changes", async () => {
    const ns = await namespaceWith("wl-stream", 30);
    const informer = new Informer({ client: plane.client, type: configMaps, namespace: ns, watchList: true });
    const seen: string[] = [];
    informer.on((e) => seen.push(`${e.type} ${e.object.metadata?.name}`));
    const stop = new AbortController();
    const done = informer.start(stop.signal);
    try {
      await informer.waitForSync();
      assert.equal(informer.store.size, 30, "every existing object is in the cache when synced");
      assert.equal(informer.store.get(ns, "cm-7")?.kind, "ConfigMap", "type meta is filled");
      await plane.client.create(configMaps, configMap(ns, "later", { v: "1" }));
      await plane.client.delete(configMaps, ns, "cm-0");
      await waitFor("the later create and delete", () => seen.includes("ADDED later") && seen.includes("DELETED cm-0"));
      assert.equal(informer.store.size, 30);
      await waitFor("the audit records", async () => (await reads(plane.cp, ns)).length >= 2);
      const log = await reads(plane.cp, ns);
      console.log(`audit (configmaps in ${ns}):\n  ${log.map((r) => `${r.verb} ${r.requestURI}`).join("\n  ")}`);
      assert.deepEqual(
        log.filter((r) => r.verb === "list"),
        [],
        "no LIST request",
      );
      const streaming = log.filter((r) => r.verb === "watch" && r.requestURI.includes("sendInitialEvents=true"));
      assert.equal(streaming.length, 1, "one streaming list");
      assert.match(streaming[0]!.requestURI, /resourceVersionMatch=NotOlderThan/);
      assert.match(streaming[0]!.requestURI, /allowWatchBookmarks=true/);
      assert.ok(
        log.some((r) => r.verb === "watch" && !r.requestURI.includes("sendInitialEvents")),
        "then a plain watch from the end bookmark's version",
      );
    } finally {
      stop.abort();
      await done;
    }
  });

  it("with watchList off it lists with pages (LIST in the audit log, no streaming watch)", async () => {
    const ns = await namespaceWith("wl-off", 5);
    const informer = new Informer({ client: plane.client, type: configMaps, namespace: ns, watchList: false, pageSize: 2 });
    const stop = new AbortController();
    const done = informer.start(stop.signal);
    try {
      await informer.waitForSync();
      assert.equal(informer.store.size, 5);
      await waitFor("the audit records", async () => (await reads(plane.cp, ns)).some((r) => r.verb === "watch"));
      const log = await reads(plane.cp, ns);
      assert.ok(log.filter((r) => r.verb === "list").length >= 1, "LIST requests");
      assert.ok(!log.some((r) => r.requestURI.includes("sendInitialEvents")), "no streaming list");
    } finally {
      stop.abort();
      await done;
    }
  });

  it("falls back to pages when the server refuses the streaming list, and keeps listing with pages", async () => {
    const ns = await namespaceWith("wl-refused", 3);
    // The server's own 4xx, provoked for real: the streaming request carries a field selector the
    // server does not support for configmaps (400), standing in for a server without WatchList.
    let streamTries = 0;
    const refusing = {
      list: plane.client.list.bind(plane.client),
      watch: (type: ResourceType, opts: Parameters<KubeClient["watch"]>[1]) => {
        if (opts.sendInitialEvents) streamTries++;
        return plane.client.watch(type, opts.sendInitialEvents ? { ...opts, fieldSelector: "no.such.field=x" } : opts);
      },
    };
    const informer = new Informer({ client: refusing, type: configMaps, namespace: ns, watchList: true });
    const stop = new AbortController();
    const done = informer.start(stop.signal);
    try {
      await informer.waitForSync();
      assert.equal(informer.store.size, 3);
      assert.equal(streamTries, 1, "one refused streaming list, then pages");
      const log = await reads(plane.cp, ns);
      assert.ok(
        log.some((r) => r.verb === "list"),
        "a LIST after the refusal",
      );
    } finally {
      stop.abort();
      await done;
    }
  });
});
