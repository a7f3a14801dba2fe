/**
 * The cache's write path and the event mapping, on a real kube-apiserver:
 *
 * - issue 9 item 1: a spec change that lands while a sync runs is never swallowed, even when the
 *   sync's status write (server-side apply, no precondition) answers with the new spec before the
 *   watch delivers the change. The watch here is held back by `LaggingClient` (every event still
 *   comes from the server, only later), which is what a lagging or reconnecting watch does;
 * - issue 9 item 9: `RunOptions.namespace` with a cluster-scoped parent (the temp-namespace
 *   sample) still maps child events to their parent: a deleted child is repaired.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { KubeClient, type KubeObject, type ResourceType, type WatchEvent } from "../../src/kube/index.js";
import { Discovery } from "../../src/kube/discovery.js";
import type { ListWatchClient } from "../../src/cache/informer.js";
import { InformerPool } from "../../src/cache/informer-pool.js";
import { Controller } from "../../src/controller/controller.js";
import type { ControllerSpec, Snapshot, SnapshotHandler, SyncOutcome } from "../../src/controller/controller-spec.js";
import { noopLogger } from "../../src/observability/logger.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { LocalControlPlane, readManifests } from "../../src/testing/index.js";
import { applyManifests, ensureNamespace } from "../../src/testing/manifests.js";
import { tempNamespaceOperator } from "../../samples/temp-namespace/temp-namespace.js";
import { E2E_API_VERSION, testCrd } from "./fixtures/crds.js";
import { waitFor } from "./support/wait.js";

/** Passes list and watch through to the server; `hold()` keeps watch events back until `release()`. */
class LaggingClient implements ListWatchClient {
  private held: { promise: Promise<void>; release: () => void } | undefined;

  constructor(private readonly inner: KubeClient) {}

  list(type: ResourceType, opts?: Parameters<ListWatchClient["list"]>[1]) {
    return this.inner.list(type, opts);
  }

  async *watch(type: ResourceType, opts: Parameters<ListWatchClient["watch"]>[1]): AsyncGenerator<WatchEvent> {
    for await (const event of this.inner.watch(type, opts)) {
      while (this.held) await this.held.promise;
      yield event;
    }
  }

  hold(): void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.held = { promise, release };
  }

  release(): void {
    const held = this.held;
    this.held = undefined;
    held?.release();
  }
}

describe("cache write path and event mapping", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let client: KubeClient;
  let discovery: Discovery;

  before(async () => {
    cp = await LocalControlPlane.start();
    client = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(client);
  });
  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it("a spec change that lands during a sync is synced, though the status write's answer holds it before the watch does", async () => {
    await applyManifests(client, discovery, [testCrd("Lagged")]);
    await ensureNamespace(client, discovery, "lagged");
    const parentType = await discovery.resolve(E2E_API_VERSION, "Lagged");
    const lagging = new LaggingClient(client);
    const informers = new InformerPool(lagging as unknown as KubeClient, noopLogger);

    const seenGenerations: number[] = [];
    let releaseFirstSync!: () => void;
    const firstSyncReleased = new Promise<void>((resolve) => (releaseFirstSync = resolve));
    const handler: SnapshotHandler = {
      async sync(snapshot: Snapshot): Promise<SyncOutcome> {
        const generation = snapshot.parent.metadata?.generation ?? 0;
        seenGenerations.push(generation);
        if (seenGenerations.length === 1) await firstSyncReleased;
        return { status: { message: (snapshot.parent.spec as { message?: string }).message }, children: [] };
      },
    };
    const spec: ControllerSpec = {
      name: "lagged",
      parent: parentType,
      children: [],
      fieldManager: "lagged",
      handlerTimeoutMs: 30_000,
      concurrency: 1,
      backoff: { initialDelayMs: 100, multiplier: 1.5, maxDelayMs: 1000, jitter: 0 },
    };
    const controller = new Controller(spec, handler, { client, informers, logger: noopLogger });
    const stop = new AbortController();
    const running = Promise.all([informers.run(stop.signal), controller.run(stop.signal)]);
    try {
      await informers.waitForSync(stop.signal);
      const p = { apiVersion: E2E_API_VERSION, kind: "Lagged", metadata: { name: "p", namespace: "lagged" }, spec: { message: "one" } };
      await client.create(parentType, p);
      await waitFor("the first sync starts (generation 1)", () => seenGenerations.length === 1, { timeout: 10_000 });

      // From here the watch lags: the user's spec change (generation 2) reaches the server while
      // the first sync runs, and the sync's status write lands on top of it.
      lagging.hold();
      await client.patch(parentType, "lagged", "p", { spec: { message: "two" } }, "merge");
      releaseFirstSync();
      await waitFor(
        "the first sync wrote its status",
        async () => {
          const p = await client.get(parentType, "lagged", "p");
          return (p?.status as { message?: string } | undefined)?.message === "one";
        },
        { timeout: 10_000 },
      );
      await controller.idle();
      lagging.release();

      await waitFor("a sync sees generation 2", () => seenGenerations.includes(2), { timeout: 10_000 }).catch((error: Error) => {
        throw new Error(`${error.message}; generations synced: ${seenGenerations.join(", ")}`);
      });
      await waitFor(
        "the status describes generation 2",
        async () => {
          const p = await client.get(parentType, "lagged", "p");
          return (p?.status as { message?: string; observedGeneration?: number } | undefined)?.observedGeneration === 2;
        },
        { timeout: 10_000 },
      );
    } finally {
      lagging.release();
      stop.abort();
      await running;
    }
  });

  // The answer of the finalizer patch reaches the cache before the patch's watch event here (the watch
  // is held back from the parent's ADDED event until the sync is done). When the event wins the race
  // instead, it is dispatched as a change and costs a second sync, as it did before this branch.
  it("adding the finalizer costs no second sync when its answer arrives before its event", async () => {
    await applyManifests(client, discovery, [testCrd("Guarded")]);
    await ensureNamespace(client, discovery, "guarded");
    const parentType = await discovery.resolve(E2E_API_VERSION, "Guarded");
    const lagging = new LaggingClient(client);
    const informers = new InformerPool(lagging as unknown as KubeClient, noopLogger);
    let syncs = 0;
    const handler: SnapshotHandler = {
      async sync(): Promise<SyncOutcome> {
        syncs++;
        return { status: { ready: true }, children: [] };
      },
      async finalize() {
        return { done: true };
      },
    };
    const spec: ControllerSpec = {
      name: "guarded",
      parent: parentType,
      children: [],
      fieldManager: "guarded",
      finalizer: "e2e.tsoperator.dev/guarded",
      handlerTimeoutMs: 30_000,
      concurrency: 1,
      backoff: { initialDelayMs: 100, multiplier: 1.5, maxDelayMs: 1000, jitter: 0 },
    };
    const controller = new Controller(spec, handler, { client, informers, logger: noopLogger });
    const stop = new AbortController();
    const running = Promise.all([informers.run(stop.signal), controller.run(stop.signal)]);
    try {
      await informers.waitForSync(stop.signal);
      let lastEvent: string | undefined;
      controller.parents.on((event) => {
        lastEvent = event.object.metadata?.resourceVersion;
        if (event.type === "ADDED") lagging.hold(); // events after the ADDED wait until the sync is done
      });
      const parent = { apiVersion: E2E_API_VERSION, kind: "Guarded", metadata: { name: "g", namespace: "guarded" }, spec: {} };
      await client.create(parentType, parent);
      let written: KubeObject | undefined;
      await waitFor(
        "finalizer and status written",
        async () => {
          written = await client.get(parentType, "guarded", "g");
          return !!written?.status && written.metadata?.finalizers?.length === 1;
        },
        { timeout: 10_000 },
      );
      await controller.idle();
      lagging.release();
      await waitFor("the watch delivered both writes", () => lastEvent === written?.metadata?.resourceVersion, { timeout: 10_000 });
      await controller.idle();
      assert.equal(syncs, 1, "one sync for one new parent");
    } finally {
      lagging.release();
      stop.abort();
      await running;
    }
  });

  it("with RunOptions.namespace, a cluster-scoped parent's deleted child is repaired (temp-namespace sample)", async () => {
    const crd = fileURLToPath(new URL("../../../samples/temp-namespace/crd.yaml", import.meta.url));
    const { newCrds } = await applyManifests(client, discovery, await readManifests(crd));
    if (newCrds > 0) await cp.restartControllerManager();
    await ensureNamespace(client, discovery, "scoped");
    const runtime = await runOperators([tempNamespaceOperator(cp.kubeConfig)], {
      kubeConfig: cp.kubeConfig,
      namespace: "scoped",
      handleSignals: false,
      logger: noopLogger,
      events: false,
    });
    try {
      const tempNamespaces = await discovery.resolve("samples.tsoperator.dev/v1", "TempNamespace");
      const namespaces = await discovery.resolve("v1", "Namespace");
      const parent = { apiVersion: "samples.tsoperator.dev/v1", kind: "TempNamespace", metadata: { name: "scratch-scoped" }, spec: {} };
      await client.create(tempNamespaces, parent);
      let first: KubeObject | undefined;
      await waitFor("the Namespace is created", async () => !!(first = await client.get(namespaces, undefined, "scratch-scoped")), {
        timeout: 10_000,
      });
      await client.delete(namespaces, undefined, "scratch-scoped");
      // The namespace controller finishes the delete in ~5 s; the operator must then create it again.
      await waitFor(
        "the deleted Namespace is created again",
        async () => {
          const ns = await client.get(namespaces, undefined, "scratch-scoped");
          return !!ns && ns.metadata?.uid !== first?.metadata?.uid && !ns.metadata?.deletionTimestamp;
        },
        { timeout: 60_000 }, // the namespace controller, just restarted, syncs first
      );
    } finally {
      await runtime.stop();
    }
  });
});
