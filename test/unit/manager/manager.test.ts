/** The manager's ordering and failure rules, with small in-memory runnables (pure logic, no server). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Manager } from "../../../src/manager/manager.js";
import type { Election, ElectionCallbacks, Runnable, RunnableGroup } from "../../../src/manager/runnable.js";
import { eventRecorderRunnable } from "../../../src/manager/runnables.js";
import type { EventRecorder } from "../../../src/manager/event-recorder.js";

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

/** A runnable that logs "start <name>", "up <name>" and "stop <name>" into `log`. */
function recorder(log: string[], name: string, group: RunnableGroup, extra: Partial<Runnable> & { upAfterMs?: number } = {}): Runnable {
  let up: (() => void) | undefined;
  const isUp = new Promise<void>((resolve) => (up = resolve));
  return {
    name,
    group,
    ...extra,
    async start(signal) {
      log.push(`start ${name}`);
      setTimeout(() => {
        log.push(`up ${name}`);
        up!();
      }, extra.upAfterMs ?? 1);
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      await tick();
      log.push(`stop ${name}`);
    },
    started: () => isUp,
  };
}

/** An election the test decides: `win()` starts leading, `lose()` ends it. */
class FakeElection implements Election {
  private callbacks?: ElectionCallbacks;
  private leaderAbort?: AbortController;
  private leading?: Promise<void>;
  constructor(private readonly log: string[]) {}
  async run(signal: AbortSignal, callbacks: ElectionCallbacks): Promise<void> {
    this.callbacks = callbacks;
    this.log.push("campaign");
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    if (this.leaderAbort) {
      this.leaderAbort.abort();
      await this.leading;
      this.log.push("release lease");
      callbacks.stoppedLeading();
    }
  }
  win(): void {
    this.leaderAbort = new AbortController();
    this.leading = this.callbacks!.lead(this.leaderAbort.signal);
  }
  async lose(): Promise<void> {
    this.leaderAbort!.abort();
    await this.leading;
    this.leaderAbort = undefined;
    this.callbacks!.stoppedLeading();
  }
}

describe("Manager", () => {
  it("starts servers, caches, others in order (each group up first) and stops them in reverse, closing the client last", async () => {
    const log: string[] = [];
    const manager = new Manager({ closers: [() => void log.push("close client")] });
    manager.add(recorder(log, "controller", "others", { needsLeaderElection: true }));
    manager.add(recorder(log, "informer", "caches", { upAfterMs: 20 }));
    manager.add(recorder(log, "events", "others", { needsLeaderElection: false }));
    manager.add(recorder(log, "health", "servers"));
    await manager.start();
    assert.deepEqual(log, [
      "start health",
      "up health",
      "start informer",
      "up informer",
      "start events",
      "up events",
      "start controller",
      "up controller",
    ]);
    assert.equal(manager.leading, true);
    log.length = 0;
    await manager.stop();
    assert.deepEqual(log, ["stop controller", "stop events", "stop informer", "stop health", "close client"]);
  });

  it("starts leader-only runnables when the lease is won, stops them before the lease is released", async () => {
    const log: string[] = [];
    const election = new FakeElection(log);
    const manager = new Manager({ election });
    manager.add(recorder(log, "informer", "caches"));
    manager.add(recorder(log, "controller", "others"));
    manager.add(recorder(log, "job", "others", { needsLeaderElection: true }));
    await manager.start();
    assert.deepEqual(log, ["start informer", "up informer", "campaign"]);
    assert.equal(manager.leading, false);
    assert.deepEqual(manager.readinessOf("controller"), { ok: true, detail: "waiting for leadership" });
    election.win();
    // Wait for the condition, not for a fixed tick: on a loaded machine the runnables' 1 ms "up" timers can fire late.
    for (const deadline = Date.now() + 5_000; log.length < 7 && Date.now() < deadline; ) await tick();
    assert.equal(manager.leading, true);
    assert.deepEqual(log.slice(3).sort(), ["start controller", "start job", "up controller", "up job"]);
    log.length = 0;
    await manager.stop();
    assert.deepEqual(log.slice(0, 2).sort(), ["stop controller", "stop job"]);
    assert.deepEqual(log.slice(2), ["release lease", "stop informer"]);
    assert.equal(manager.lostLeadership, false);
  });

  it("a warm cache (no leadership needed) runs on a follower; a cold one starts with the lease", async () => {
    const log: string[] = [];
    const election = new FakeElection(log);
    const manager = new Manager({ election });
    manager.add(recorder(log, "cold-informer", "caches", { needsLeaderElection: true }));
    manager.add(recorder(log, "controller", "others"));
    await manager.start();
    assert.deepEqual(log, ["campaign"]);
    election.win();
    // Wait for the condition, not for two ticks: on a loaded machine the 1 ms "up" timers can fire late.
    for (const deadline = Date.now() + 5_000; log.length < 5 && Date.now() < deadline; ) await tick();
    assert.deepEqual(log, ["campaign", "start cold-informer", "up cold-informer", "start controller", "up controller"]);
    await manager.stop();
  });

  it("a lost lease stops everything and says so", async () => {
    const log: string[] = [];
    const election = new FakeElection(log);
    const manager = new Manager({ election });
    manager.add(recorder(log, "informer", "caches"));
    manager.add(recorder(log, "controller", "others"));
    await manager.start();
    election.win();
    await tick();
    await election.lose();
    await manager.done;
    assert.equal(manager.lostLeadership, true);
    assert.ok(log.indexOf("stop controller") < log.indexOf("stop informer"));
  });

  it("after a lost lease the caches stop only once the leader-only runnables have drained", async () => {
    const log: string[] = [];
    let leaderAbort: AbortController | undefined;
    let end!: () => void;
    // Like LeaderElector on a lost lease: abort the work, report it, resolve — without waiting.
    const election: Election = {
      async run(signal, callbacks) {
        leaderAbort = new AbortController();
        void callbacks.lead(leaderAbort.signal);
        await new Promise<void>((resolve) => {
          end = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        leaderAbort.abort();
        callbacks.stoppedLeading();
      },
    };
    const manager = new Manager({ election, closers: [() => void log.push("close client")] });
    manager.add(recorder(log, "informer", "caches"));
    manager.add({
      name: "slow-controller",
      async start(signal) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        await new Promise((resolve) => setTimeout(resolve, 30));
        log.push("drained slow-controller");
      },
    });
    await manager.start();
    await tick();
    end();
    await manager.done;
    assert.equal(manager.lostLeadership, true);
    assert.deepEqual(log.slice(-3), ["drained slow-controller", "stop informer", "close client"]);
  });

  it("a runnable that fails is red in readiness and reported; the others keep running", async () => {
    const log: string[] = [];
    const manager = new Manager();
    manager.add({ name: "broken", needsLeaderElection: false, start: async () => Promise.reject(new Error("cannot list secrets")) });
    manager.add(recorder(log, "fine", "others"));
    await manager.start();
    await tick();
    assert.deepEqual(
      manager.failures().map((f) => f.name),
      ["broken"],
    );
    assert.deepEqual(manager.readinessOf("broken"), { ok: false, detail: "failed: cannot list secrets" });
    assert.deepEqual(manager.readinessOf("fine"), { ok: true });
    assert.ok(log.includes("up fine") && !log.includes("stop fine"));
    await manager.stop();
    assert.ok(log.includes("stop fine"));
  });

  it("a runnable that never comes up does not block the next group once it has settled", async () => {
    const log: string[] = [];
    const manager = new Manager();
    const never = () => new Promise<void>(() => {});
    manager.add({ name: "dead-cache", group: "caches", start: async () => Promise.reject(new Error("no")), started: never });
    manager.add(recorder(log, "controller", "others"));
    await manager.start();
    assert.ok(log.includes("start controller"));
    await manager.stop();
  });

  it("a stop during start stops what started and starts nothing more; the abort signal stops it too", async () => {
    const log: string[] = [];
    const abort = new AbortController();
    const manager = new Manager();
    manager.add(recorder(log, "informer", "caches", { upAfterMs: 30 }));
    manager.add(recorder(log, "controller", "others"));
    const starting = manager.start(abort.signal);
    await tick();
    abort.abort();
    await starting;
    await manager.done;
    assert.ok(!log.includes("start controller"), log.join(","));
    assert.ok(log.includes("stop informer"));
  });

  it("the event recorder flushes at stop, after the controllers drained (their last Events are written)", async () => {
    const log: string[] = [];
    const recorder = { flush: async () => void log.push("flush events") } as unknown as EventRecorder;
    const manager = new Manager({ closers: [() => void log.push("close client")] });
    manager.add(eventRecorderRunnable("op", recorder));
    manager.add({
      name: "controller:op",
      async start(signal) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        await tick();
        log.push("controller drained");
      },
    });
    await manager.start();
    await manager.stop();
    assert.deepEqual(log, ["controller drained", "flush events", "close client"]);
  });

  it("refuses duplicate names and late additions", async () => {
    const manager = new Manager();
    manager.add({ name: "a", start: async () => undefined });
    assert.throws(() => manager.add({ name: "a", start: async () => undefined }), /already added/);
    await manager.start();
    assert.throws(() => manager.add({ name: "b", start: async () => undefined }), /after the manager started/);
    await manager.stop();
  });
});
