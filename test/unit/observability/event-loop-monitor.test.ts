/** The event-loop liveness rule: red while blocked now or for `holdMs` after a block over the threshold. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_EVENT_LOOP_THRESHOLDS,
  EventLoopMonitor,
  eventLoopLiveness,
  recordTick,
  type EventLoopObservations,
} from "../../../src/observability/event-loop-monitor.js";

const t = DEFAULT_EVENT_LOOP_THRESHOLDS;

describe("event loop liveness", () => {
  it("on-time ticks and short delays stay green", () => {
    let seen: EventLoopObservations = { lastTickAt: 0 };
    seen = recordTick(seen, 1_000, t);
    seen = recordTick(seen, 2_000 + 9_000, t); // 9 s late: under the 10 s threshold
    assert.equal(seen.lastBlock, undefined);
    assert.equal(eventLoopLiveness(seen, 11_500, t).ok, true);
  });

  it("a block over the threshold is red for holdMs after it ended, then green again", () => {
    let seen = recordTick({ lastTickAt: 0 }, 1_000, t);
    seen = recordTick(seen, 1_000 + 1_000 + 12_000, t);
    assert.equal(seen.lastBlock?.ms, 12_000);
    const red = eventLoopLiveness(seen, 15_000, t);
    assert.equal(red.ok, false);
    assert.match(red.detail ?? "", /blocked for 12000 ms/);
    assert.equal(eventLoopLiveness(seen, 14_000 + 29_000, t).ok, false);
    for (let at = 15_000; at <= 44_000; at += 1_000) seen = recordTick(seen, at, t);
    assert.equal(eventLoopLiveness(seen, 44_500, t).ok, true);
  });

  it("no tick for longer than the threshold is red now", () => {
    assert.equal(eventLoopLiveness({ lastTickAt: 0 }, 12_000, t).ok, false);
  });

  it("the monitor reports green while the loop runs, and says when it is not monitoring", async () => {
    const monitor = new EventLoopMonitor({ intervalMs: 10 });
    assert.deepEqual(monitor.check(), { ok: true, detail: "not monitoring" });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(monitor.check().ok, true);
    monitor.stop();
  });

  it("a real synchronous block over the threshold turns the monitor red", async () => {
    const monitor = new EventLoopMonitor({ intervalMs: 10, blockedThresholdMs: 100, holdMs: 10_000 });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const until = performance.now() + 250;
    while (performance.now() < until); // block the loop
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(monitor.check().ok, false);
    monitor.stop();
  });
});
