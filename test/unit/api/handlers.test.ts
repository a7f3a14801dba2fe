import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_BACKOFF,
  FinalizeResponse,
  SyncResponse,
  backoffConfig,
  createSyncRequest,
  failable,
  fixedBackoff,
  nextDelay,
  normalizeHandler,
  withErrorHandler,
  type FailableHandler,
  type SyncRequest,
} from "../../../src/api/index.js";
import { TypeRegistry } from "../../../src/registry/index.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const registry = new TypeRegistry();
function req(uid = "uid-1"): SyncRequest<KubeObject> {
  return createSyncRequest({
    parent: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p", namespace: "ns", uid } },
    children: [],
    registry,
  });
}

describe("nextDelay", () => {
  it("grows by the multiplier from the initial delay, without jitter at random = 0.5", () => {
    const mid = () => 0.5;
    assert.equal(nextDelay(1, DEFAULT_BACKOFF, mid), 500);
    assert.equal(nextDelay(2, DEFAULT_BACKOFF, mid), 750);
    assert.equal(nextDelay(3, DEFAULT_BACKOFF, mid), 1125);
    assert.equal(nextDelay(0, DEFAULT_BACKOFF, mid), 500, "0 failures counts as the first");
  });

  it("stays within +-50 % and never above the cap, for any failure count", () => {
    for (const failures of [1, 2, 5, 10, 20, 30, 100, 1e6, Number.MAX_SAFE_INTEGER]) {
      const base = Math.min(500 * 1.5 ** (failures - 1), 600_000);
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const d = nextDelay(failures, DEFAULT_BACKOFF, () => r);
        assert.ok(d >= Math.floor(base * 0.5) && d <= Math.min(Math.ceil(base * 1.5), 600_000), `${failures} failures, r=${r}: ${d}`);
        assert.ok(Number.isFinite(d));
      }
    }
    assert.equal(
      nextDelay(1000, DEFAULT_BACKOFF, () => 0.999999),
      600_000,
    );
    assert.equal(
      nextDelay(1000, DEFAULT_BACKOFF, () => 0),
      300_000,
    );
  });

  it("uses Math.random by default and honours custom configs", () => {
    for (let i = 0; i < 50; i++) {
      const d = nextDelay(1);
      assert.ok(d >= 250 && d <= 750);
    }
    assert.equal(nextDelay(7, fixedBackoff(100)), 100);
    assert.deepEqual(backoffConfig({ maxDelayMs: 5 }), { ...DEFAULT_BACKOFF, maxDelayMs: 5 });
    assert.deepEqual(DEFAULT_BACKOFF, { initialDelayMs: 500, multiplier: 1.5, jitter: 0.5, maxDelayMs: 600_000 });
  });
});

describe("normalizeHandler and withErrorHandler", () => {
  it("accepts a function, an object (methods bound) and a [sync, onError] pair", async () => {
    const fn = normalizeHandler(() => SyncResponse.of({ a: 1 }));
    assert.deepEqual((await fn.sync(req())).status, { a: 1 });
    assert.equal(fn.finalize, undefined);
    const obj = {
      prefix: "x",
      sync() {
        return SyncResponse.of(this.prefix);
      },
      finalize() {
        return FinalizeResponse.retryAfter(5, this.prefix);
      },
    };
    const h = normalizeHandler(obj);
    assert.equal((await h.sync(req())).status, "x");
    assert.equal((await h.finalize!(req())).status, "x");
    const pair = normalizeHandler([
      () => {
        throw new Error("no");
      },
      () => ({ status: { failed: true } }),
    ] as const);
    const r = await pair.sync(req());
    assert.deepEqual(r.status, { failed: true });
    assert.ok(r.failure);
  });

  it("when sync fails the error function's status and resync apply and children are kept", async () => {
    const boom = new Error("database down");
    let seen: unknown;
    const h = withErrorHandler(
      async () => {
        throw boom;
      },
      (_req, error) => {
        seen = error;
        return { status: { error: (error as Error).message }, resyncAfter: 10_000 };
      },
    );
    const r = await h.sync(req());
    assert.equal(seen, boom);
    assert.deepEqual(r.status, { error: "database down" });
    assert.equal(r.resyncAfter, 10_000);
    assert.equal(r.failure?.error, boom, "marked failed: the runtime keeps existing children");
    assert.deepEqual(r.children, []);
  });

  it("a successful sync passes through untouched", async () => {
    const ok = SyncResponse.of({ ok: 1 }).withChild({ apiVersion: "v1", kind: "Pod", metadata: { name: "a" } });
    const h = withErrorHandler(
      () => ok,
      () => {
        throw new Error("not called");
      },
    );
    assert.equal(await h.sync(req()), ok);
  });

  it("a sync that returns garbage is a failure handed to the error function", async () => {
    const h = withErrorHandler(
      () => undefined as unknown as SyncResponse,
      (_r, e) => ({ status: { error: (e as Error).name } }),
    );
    assert.deepEqual((await h.sync(req())).status, { error: "InvalidResponseError" });
  });
});

type Validated = { size: number };
function failableFixture(state: {
  invalid?: boolean;
  syncError?: boolean;
  finalizeError?: boolean;
}): FailableHandler<KubeObject, Validated> {
  return {
    validate: () => (state.invalid ? new Error("size must be positive") : { size: 2 }),
    syncChildren: (_req, v) => {
      if (state.syncError) throw new Error("quota exceeded");
      return Array.from({ length: v.size }, (_, i) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `c${i}` } }));
    },
    finalize: () => (state.finalizeError ? Promise.reject(new Error("still in use")) : undefined),
    determineStatus: (_req, outcome) => ({
      kind: outcome.kind,
      ok: outcome.ok,
      error: outcome.ok ? undefined : String((outcome as { error: Error }).error.message),
    }),
  };
}

describe("failable", () => {
  const mid = () => 0.5;

  it("success: children and status, optional regular resync", async () => {
    const h = failable(failableFixture({}), { regularResyncMs: 30_000 });
    const r = await h.sync(req());
    assert.equal(r.children.length, 2);
    assert.deepEqual(r.status, { kind: "syncSucceeded", ok: true, error: undefined });
    assert.equal(r.resyncAfter, 30_000);
    assert.equal(r.failure, undefined);
  });

  it("validation failure: status describes it, resync after backoff, children kept", async () => {
    const h = failable(failableFixture({ invalid: true }), { random: mid });
    const r = await h.sync(req());
    assert.deepEqual(r.status, { kind: "validationFailed", ok: false, error: "size must be positive" });
    assert.equal(r.resyncAfter, 500);
    assert.ok(r.failure);
  });

  it("sync failures back off per parent and reset after a success", async () => {
    const state = { syncError: true };
    const h = failable(failableFixture(state), { random: mid, backoff: { initialDelayMs: 100, multiplier: 2 } });
    const delays = [];
    for (let i = 0; i < 4; i++) delays.push((await h.sync(req("A"))).resyncAfter);
    assert.deepEqual(delays, [100, 200, 400, 800]);
    assert.equal((await h.sync(req("B"))).resyncAfter, 100, "another parent has its own count");
    const failed = await h.sync(req("A"));
    assert.equal(failed.failure !== undefined, true);
    assert.deepEqual(failed.status, { kind: "syncFailed", ok: false, error: "quota exceeded" });
    state.syncError = false;
    assert.equal((await h.sync(req("A"))).failure, undefined);
    state.syncError = true;
    assert.equal((await h.sync(req("A"))).resyncAfter, 100, "reset after success");
  });

  it("finalize: done on success, retry with backoff on failure", async () => {
    const state = { finalizeError: true };
    const h = failable(failableFixture(state), { random: mid });
    const retry = await h.finalize!(req());
    assert.equal(retry.done, false);
    assert.equal(retry.retryAfter, 500);
    assert.deepEqual(retry.status, { kind: "finalizeFailed", ok: false, error: "still in use" });
    assert.equal((retry.failure?.error as Error | undefined)?.message, "still in use", "a failure the runtime reports, not a plain retry");
    state.finalizeError = false;
    const done = await h.finalize!(req());
    assert.equal(done.done, true);
  });

  it("no finalize step: no finalize method (so no finalizer is added)", () => {
    const { finalize: _drop, ...noFinalize } = failableFixture({});
    assert.equal(failable(noFinalize).finalize, undefined);
  });
});

describe("an error handler that fails itself keeps the failure it was answering", () => {
  it("withErrorHandler: onError throws, or answers an invalid resyncAfter", async () => {
    const failing = withErrorHandler(
      () => {
        throw new Error("db down");
      },
      () => {
        throw "page down";
      },
    );
    await assert.rejects(
      Promise.resolve(failing.sync(req())),
      (e: unknown) =>
        e instanceof Error &&
        e.name === "ErrorHandlerFailedError" &&
        e.message === 'the error handler failed: threw a string, not an Error: "page down"; the failure it was answering: db down',
    );
    const invalid = withErrorHandler(
      () => {
        throw new Error("db down");
      },
      () => ({ resyncAfter: -1 }),
    );
    await assert.rejects(Promise.resolve(invalid.sync(req())), /resyncAfter must be .* got -1; the failure it was answering: db down/);
  });

  it("failable: determineStatus throws on the failure path", async () => {
    const h = failable<KubeObject, void>({
      syncChildren: () => {
        throw new Error("db down");
      },
      determineStatus: (_req, outcome) => {
        if (!outcome.ok) throw new Error("status broke");
        return {};
      },
    });
    await assert.rejects(Promise.resolve(h.sync(req())), /the error handler failed: status broke; the failure it was answering: db down/);
  });
});
