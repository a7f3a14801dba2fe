/** Readiness and liveness rules of the manager and its runnables (pure: no server). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "../../../src/manager/manager.js";
import { informerReady } from "../../../src/manager/runnables.js";
import type { Election, ElectionCallbacks } from "../../../src/manager/runnable.js";
import type { InformerHealth } from "../../../src/cache/informer.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** An election that leads at once and loses when told; its own readiness reads "campaigning" (green) afterwards. */
class LosingElection implements Election {
  private leaderAbort = new AbortController();
  private callbacks?: ElectionCallbacks;
  private leading?: Promise<void>;
  async run(signal: AbortSignal, callbacks: ElectionCallbacks): Promise<void> {
    this.callbacks = callbacks;
    this.leading = callbacks.lead(this.leaderAbort.signal);
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  async lose(): Promise<void> {
    this.leaderAbort.abort();
    await this.leading;
    this.callbacks!.stoppedLeading();
  }
  readiness() {
    return { ok: true, detail: "campaigning" };
  }
}

const health = (over: Partial<InformerHealth>): InformerHealth => ({
  state: "Watching",
  synced: true,
  stale: false,
  consecutiveErrors: 0,
  objects: 1,
  ...over,
});

describe("readiness and liveness rules", () => {
  it("an informer is ready when listed, not stale and with fewer than 3 errors in a row", () => {
    assert.equal(informerReady(health({})), true);
    assert.equal(informerReady(health({ synced: false })), false, "unsynced");
    assert.equal(informerReady(health({ stale: true })), false, "stale: a probe found the watch silent");
    assert.equal(informerReady(health({ consecutiveErrors: 2 })), true, "one retried blip stays green");
    assert.equal(informerReady(health({ consecutiveErrors: 3 })), false, "failing");
  });

  it("a lost lease reads red in readiness, whatever the elector says afterwards", async () => {
    const election = new LosingElection();
    const manager = new Manager({ election });
    await manager.start();
    await tick();
    assert.deepEqual(manager.readinessOf("leader-election"), { ok: true, detail: "campaigning" });
    await election.lose();
    assert.equal(manager.lostLeadership, true);
    assert.equal(manager.readinessOf("leader-election").ok, false);
    await manager.stop();
  });

  it("liveness is red once a runnable's loop died, green while everything runs (readiness is not liveness)", async () => {
    const manager = new Manager();
    let fail!: (err: Error) => void;
    manager.add({ name: "loop", needsLeaderElection: false, start: () => new Promise<void>((_resolve, reject) => (fail = reject)) });
    manager.add({
      name: "unready",
      needsLeaderElection: false,
      start: (s) => new Promise((r) => s.addEventListener("abort", () => r())),
      readiness: () => ({ ok: false }),
    });
    await manager.start();
    await tick();
    assert.equal(manager.liveness().ok, true, "an unready runnable is no reason to restart");
    fail(new Error("boom"));
    await tick();
    assert.deepEqual(manager.liveness(), { ok: false, detail: "loop died: boom" });
    await manager.stop();
  });

  it("a runnable that failed for a reason a restart does not cure (restartCures: false) is red in readiness only", async () => {
    const manager = new Manager();
    const error = Object.assign(new Error("caches not synced: services forbidden"), { restartCures: false });
    manager.add({ name: "controller:echo", needsLeaderElection: false, start: () => Promise.reject(error) });
    await manager.start();
    await tick();
    assert.equal(manager.readinessOf("controller:echo").ok, false);
    assert.equal(manager.liveness().ok, true, "no restart loop for missing RBAC");
    await manager.stop();
  });
});
