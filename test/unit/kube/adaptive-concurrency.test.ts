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

describe("AIMD limit: back to what the seats carried", () => {
  it("a 429 with 3 other requests in flight (3 seats, limit 4) halves the limit, and it climbs back to 3 at once, hold or not", () => {
    let now = 0;
    const aimd = new AimdLimit({ max: 32, initial: 4, holdMs: 1000 }, () => now);
    aimd.onThrottled(3);
    assert.equal(aimd.limit, 2);
    now = 10; // within the hold
    aimd.onSuccess();
    assert.equal(aimd.limit, 3, "3 requests were in flight and admitted: the seats carry 3");
    for (let i = 0; i < 10; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 3, "no probing above them until the hold ends");
    now = 1000;
    for (let i = 0; i < 4; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 4, "then additive growth as before");
  });

  it("several 429s of one overshoot lower the limit to what was in flight at the last of them, not below", () => {
    let now = 0;
    const aimd = new AimdLimit({ max: 32, initial: 5, holdMs: 1000 }, () => now);
    aimd.onThrottled(4); // 5 sent to 3 seats: two refused
    aimd.onThrottled(3);
    assert.equal(aimd.limit, 1);
    now = 5;
    aimd.onSuccess();
    aimd.onSuccess();
    assert.equal(aimd.limit, 3);
  });

  it("the start-up burst (32 at once to 3 seats) ends near the seats, not at 1 for the whole hold", () => {
    let now = 0;
    const aimd = new AimdLimit({ max: 32, holdMs: 1000 }, () => now);
    // 29 refusals come back while fewer and fewer of the burst are still in flight; 3 stay admitted.
    for (let others = 31; others >= 3; others--) aimd.onThrottled(others);
    assert.equal(aimd.limit, 1);
    now = 100;
    for (let i = 0; i < 3; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 3);
  });

  it("one seat: a 429 with one other request in flight leaves nothing to climb back to (the hold applies as before)", () => {
    let now = 0;
    const aimd = new AimdLimit({ max: 32, initial: 2, holdMs: 1000 }, () => now);
    aimd.onThrottled(1);
    assert.equal(aimd.limit, 1);
    now = 500;
    for (let i = 0; i < 10; i++) aimd.onSuccess();
    assert.equal(aimd.limit, 1);
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

  it("tells the limit how many other requests were in flight when a 429 came back", async () => {
    let now = 0;
    const gate = new ConcurrencyGate(new AimdLimit({ max: 4, holdMs: 1000 }, () => now));
    const releases = await Promise.all([gate.acquire(), gate.acquire(), gate.acquire(), gate.acquire()]);
    releases[3]!(); // the refused one is back: 3 others still in flight
    gate.record(true);
    assert.equal(gate.aimd.limit, 2);
    now = 1;
    releases[0]!();
    gate.record(false);
    assert.equal(gate.aimd.limit, 3);
  });

  it("a 429 reported with its release counts the others in flight before its slot goes to a waiter", async () => {
    let now = 0;
    const gate = new ConcurrencyGate(new AimdLimit({ max: 2, holdMs: 1000 }, () => now));
    const r1 = (await gate.acquire()) as (throttled?: boolean) => void;
    const r2 = (await gate.acquire()) as (throttled?: boolean) => void;
    let admitted = false;
    const w3 = gate.acquire().then((release) => {
      admitted = true;
      return release;
    });
    r2(true); // refused with one other (r1) in flight: one seat, whatever waits behind it
    assert.equal(gate.aimd.limit, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(admitted, false, "the refused request's slot is not handed on under a limit of 1");
    now = 10;
    r1(false);
    assert.equal(gate.aimd.limit, 1, "nothing above the one seat to climb back to during the hold");
    (await w3)();
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
