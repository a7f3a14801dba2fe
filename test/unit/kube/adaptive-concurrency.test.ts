import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AimdLimit, ConcurrencyGate } from "../../../src/kube/adaptive-concurrency.js";

describe("AIMD limit", () => {
  it("starts at max and halves on a 429", () => {
    const aimd = new AimdLimit({ max: 32 });
    assert.equal(aimd.limit, 32);
    assert.equal(aimd.onThrottled(), true);
    assert.equal(aimd.limit, 16);
  });

  it("every 429 of a burst halves it: 15 refusals out of 16 bring it to one seat", () => {
    const aimd = new AimdLimit({ max: 16 });
    for (let i = 0; i < 4; i++) aimd.onThrottled();
    assert.equal(aimd.limit, 1);
    assert.equal(aimd.onThrottled(), false, "already at min");
  });

  it("never goes below min nor above max", () => {
    const aimd = new AimdLimit({ max: 4, min: 1, holdMs: 0 });
    for (let i = 0; i < 10; i++) aimd.onThrottled();
    assert.equal(aimd.limit, 1);
    for (let i = 0; i < 1000; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 4);
  });

  it("grows additively: about +1 per limit's worth of successes", () => {
    const aimd = new AimdLimit({ max: 100, initial: 4 });
    for (let i = 0; i < 4; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 4, "3.99...: not yet");
    aimd.onSuccess();
    assert.equal(aimd.limit, 5);
    for (let i = 0; i < 5; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 6);
  });

  it("rejects a decrease factor outside (0, 1)", () => {
    assert.throws(() => new AimdLimit({ max: 4, decreaseFactor: 1 }), RangeError);
  });

  it("holds the limit after a 429, and holds twice as long when refused again right after a hold", () => {
    let now = 0;
    const aimd = new AimdLimit({ max: 8, initial: 2, holdMs: 1000 }, () => now);
    aimd.onThrottled();
    assert.equal(aimd.limit, 1);
    now = 999;
    for (let i = 0; i < 10; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 1, "held");
    now = 1000;
    aimd.onSuccess();
    assert.equal(aimd.limit, 2, "grows after the hold");
    now = 1500; // refused again within a hold's length after it ended: hold 2 s
    aimd.onThrottled();
    now = 3400;
    aimd.onSuccess();
    assert.equal(aimd.limit, 1);
    now = 3500;
    aimd.onSuccess();
    assert.equal(aimd.limit, 2);
    now = 20_000; // a quiet spell: back to the base hold
    aimd.onThrottled();
    now = 21_000;
    aimd.onSuccess();
    assert.equal(aimd.limit, 2);
  });
});

describe("ConcurrencyGate", () => {
  it("admits at most limit requests, FIFO, and follows the limit as it shrinks and grows", async () => {
    const changes: number[] = [];
    const gate = new ConcurrencyGate(new AimdLimit({ max: 2 }), (l) => changes.push(l));
    const r1 = await gate.acquire();
    const r2 = await gate.acquire();
    const order: number[] = [];
    const admitted = (n: number) => (release: () => void) => {
      order.push(n);
      return release;
    };
    const w3 = gate.acquire().then(admitted(3));
    const w4 = gate.acquire().then(admitted(4));
    await new Promise((r) => setImmediate(r));
    assert.equal(gate.active, 2);
    assert.equal(gate.queued, 2);
    gate.record(true); // 429: limit 1
    assert.equal(gate.aimd.limit, 1);
    r1();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [], "one still in flight under a limit of 1");
    r2();
    const r3 = await w3;
    assert.deepEqual(order, [3]);
    r3();
    (await w4)();
    assert.deepEqual(order, [3, 4]);
    assert.deepEqual(changes, [1]);
    assert.equal(gate.active, 0);
  });

  it("a waiting acquire rejects on abort and leaves the queue", async () => {
    const gate = new ConcurrencyGate(new AimdLimit({ max: 1 }));
    const release = await gate.acquire();
    const ac = new AbortController();
    const waiting = gate.acquire(ac.signal);
    ac.abort(new Error("stop"));
    await assert.rejects(waiting, /stop/);
    assert.equal(gate.queued, 0);
    release();
    assert.equal(gate.active, 0);
  });
});
