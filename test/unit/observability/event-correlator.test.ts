import { test } from "node:test";
import assert from "node:assert/strict";
import { EventCorrelator, truncateMessage } from "../../../src/observability/event-correlator.js";

test("token bucket: burst per object, refilled one token per interval", () => {
  let now = 0;
  const c = new EventCorrelator({ burst: 3, refillIntervalMs: 1000, now: () => now });
  assert.deepEqual(
    [1, 2, 3, 4].map(() => c.allow("a")),
    [true, true, true, false],
  );
  assert.equal(c.allow("b"), true, "buckets are per object");
  now = 999;
  assert.equal(c.allow("a"), false);
  now = 1000;
  assert.equal(c.allow("a"), true);
  assert.equal(c.allow("a"), false);
  now = 100_000;
  assert.deepEqual(
    [1, 2, 3, 4].map(() => c.allow("a")),
    [true, true, true, false],
    "refill stops at the burst",
  );
});

test("identical events aggregate within the window, and start over after it", () => {
  let now = Date.UTC(2026, 0, 1);
  const c = new EventCorrelator({ aggregationWindowMs: 10_000, now: () => now });
  const first = c.observe("k", "ns");
  first.name = "obj.1";
  first.written = 1;
  now += 5_000;
  const second = c.observe("k", "ns");
  assert.equal(second, first);
  assert.equal(second.count, 2);
  assert.equal(second.firstTimestamp, "2026-01-01T00:00:00Z");
  assert.equal(second.lastTimestamp, "2026-01-01T00:00:05Z");
  now += 10_001;
  const third = c.observe("k", "ns");
  assert.notEqual(third, first);
  assert.equal(third.count, 1);
  assert.equal(third.name, undefined);
  assert.notEqual(c.observe("other", "ns"), third);
});

test("the caches are bounded, least recently used first out", () => {
  const c = new EventCorrelator({ maxEntries: 2 });
  const a = c.observe("a", "ns");
  c.observe("b", "ns");
  assert.equal(c.observe("a", "ns"), a); // a is now most recent
  c.observe("c", "ns"); // evicts b
  assert.equal(c.observe("a", "ns").count, 3);
  assert.equal(c.observe("b", "ns").count, 1);
});

test("messages are cut to 1 KiB of UTF-8 without splitting characters", () => {
  assert.equal(truncateMessage("short"), "short");
  const ascii = truncateMessage("x".repeat(5000));
  assert.equal(Buffer.byteLength(ascii), 1024);
  assert.ok(ascii.endsWith("..."));
  const wide = truncateMessage("😀".repeat(600));
  assert.ok(Buffer.byteLength(wide) <= 1024);
  assert.ok(!wide.includes("\uFFFD"));
  assert.match(wide, /^(😀)+\.\.\.$/u);
});
