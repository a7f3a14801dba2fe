/**
 * The reconciler's guarantees that involve no API server: one handler call per parent at a time
 * across timeouts, and no write once writing is no longer allowed. The handlers here return no
 * children and no status, so nothing is ever sent to a server (the client throws if it is used).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Reconciler, type ParentCache } from "../../../src/controller/reconciler.js";
import { ObjectStore } from "../../../src/cache/object-store.js";
import { noopLogger } from "../../../src/observability/logger.js";
import { DEFAULT_BACKOFF } from "../../../src/core/backoff.js";
import type { ControllerSpec, SnapshotHandler, SyncOutcome } from "../../../src/controller/controller-spec.js";
import type { WriteClient } from "../../../src/controller/write-client.js";
import type { KubeObject, ResourceType } from "../../../src/core/kube-object.js";
import { ApiError } from "../../../src/kube/errors.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const PARENTS: ResourceType = {
  group: "example.com",
  version: "v1",
  apiVersion: "example.com/v1",
  kind: "Thing",
  plural: "things",
  namespaced: true,
};

function spec(overrides: Partial<ControllerSpec> = {}): ControllerSpec {
  return {
    name: "things",
    parent: PARENTS,
    children: [],
    fieldManager: "things",
    handlerTimeoutMs: 30,
    concurrency: 4,
    backoff: DEFAULT_BACKOFF,
    ...overrides,
  };
}

/** A client that must not be used: these tests never write. */
const noWrites = new Proxy({} as WriteClient, {
  get: (_t, verb) => () => Promise.reject(new Error(`unexpected ${String(verb)}`)),
});

/** The parent cache: one parent, and write answers (none here) recorded into the store. */
function parentStore(): ParentCache {
  const store = new ObjectStore();
  const parent: KubeObject = {
    apiVersion: PARENTS.apiVersion,
    kind: PARENTS.kind,
    metadata: { namespace: "ns", name: "p", uid: "u1", resourceVersion: "1", generation: 1 },
  };
  store.replace([parent], "1");
  return { store, recordWrite: (obj) => store.upsertFromWrite(obj) };
}

const P = { namespace: "ns", name: "p" };

describe("Reconciler", () => {
  it("never runs a parent's handler twice at once: a timed-out call blocks the retry until it returns", async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const handler: SnapshotHandler = {
      async sync(): Promise<SyncOutcome> {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(150); // ignores its signal, runs past the 30 ms timeout
        running--;
        return { children: [] };
      },
    };
    const requeued: string[] = [];
    const reconciler = new Reconciler({
      spec: spec(),
      client: noWrites,
      handler,
      parents: parentStore(),
      children: new Map(),
      logger: noopLogger,
      requeue: (key) => requeued.push(key),
    });
    const first = await reconciler.reconcile(P).catch((e: unknown) => ({ kind: "threw", e }));
    // The retry (the work queue would start it after its backoff) comes while the call still runs.
    const second = await reconciler.reconcile(P).catch((e: unknown) => ({ kind: "threw", e }));
    assert.equal(maxRunning, 1, "user code for one parent ran twice at once");
    assert.equal((first as { kind: string }).kind, "failed", "the timeout is a failure");
    assert.deepEqual(second, { kind: "skipped", reason: "busy" });
    assert.equal(calls, 1);
    await sleep(200);
    assert.deepEqual(requeued, ["ns/p"], "the parent is synced again once the abandoned call returned");
    const third = await reconciler.reconcile(P);
    assert.equal(third.kind, "failed", "the next call runs (and times out again)");
    assert.equal(calls, 2);
    await sleep(200);
  });

  it("writes nothing once writing is no longer allowed (lease expired by the clock), and reports nothing", async () => {
    const events: string[] = [];
    let sent = 0;
    const counting = new Proxy({} as WriteClient, {
      get: () => () => {
        sent++;
        return Promise.resolve({});
      },
    });
    const reconciler = new Reconciler({
      spec: spec({ finalizer: "example.com/cleanup" }),
      client: counting,
      handler: { sync: async () => ({ children: [], status: { ok: true } }) },
      parents: parentStore(),
      children: new Map(),
      logger: noopLogger,
      events: { warning: (_o, reason) => void events.push(reason) },
      mayWrite: () => false,
    });
    const result = await reconciler.reconcile(P);
    assert.deepEqual(result, { kind: "skipped", reason: "stopped" });
    assert.equal(sent, 0, "a write went out without a valid lease");
    assert.deepEqual(events, []);
  });
  it("a finalizer removal refused with a conflict or a 404 writes no Synced=False (the retry resolves it); a 403 does", async () => {
    const statusWrites = async (statusCode: number, reason: string): Promise<unknown[]> => {
      const store = new ObjectStore();
      const deleting: KubeObject = {
        apiVersion: PARENTS.apiVersion,
        kind: PARENTS.kind,
        metadata: {
          namespace: "ns",
          name: "p",
          uid: "u1",
          resourceVersion: "1",
          generation: 1,
          deletionTimestamp: "2026-12-01T00:00:00Z",
          finalizers: ["example.com/cleanup"],
        },
      };
      store.replace([deleting], "1");
      const written: unknown[] = [];
      const client = new Proxy({} as WriteClient, {
        get:
          (_t, verb) =>
          (..._args: unknown[]) => {
            if (verb === "patch") return Promise.reject(new ApiError({ statusCode, reason, method: "PATCH", path: "/things/p" }));
            if (verb === "applyStatus") {
              written.push(_args[1]);
              return Promise.resolve(_args[1]);
            }
            return Promise.reject(new Error(`unexpected ${String(verb)}`));
          },
      });
      const reconciler = new Reconciler({
        spec: spec({ finalizer: "example.com/cleanup", statusCondition: "Synced" }),
        client,
        handler: { sync: async () => ({ children: [] }), finalize: async () => ({ done: true }) },
        parents: { store, recordWrite: (obj) => store.upsertFromWrite(obj) },
        children: new Map(),
        logger: noopLogger,
        events: { warning: () => undefined },
      });
      await reconciler.reconcile(P).catch(() => undefined);
      return written;
    };
    assert.deepEqual(await statusWrites(409, "Conflict"), [], "a conflict: the retry reads the newer parent");
    assert.deepEqual(await statusWrites(404, "NotFound"), [], "the parent is already gone");
    const refused = (await statusWrites(403, "Forbidden")) as Array<{
      status?: { conditions?: Array<{ status: string; reason: string }> };
    }>;
    assert.equal(refused.length, 1, "a refusal is shown on the parent");
    assert.deepEqual(
      refused[0]!.status?.conditions?.map((c) => [c.status, c.reason]),
      [["False", "FinalizerWriteFailed"]],
    );
  });
});
