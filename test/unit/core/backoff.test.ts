import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_BACKOFF as DEFAULT_QUEUE_BACKOFF,
  DEFAULT_WATCH_BACKOFF,
  NO_FAILURES,
  nextDelay,
  recordFailure,
  resolveBackoff as resolveBackoffOptions,
} from "../../../src/core/backoff.js";
import { compareResourceVersions, isOlderResourceVersion } from "../../../src/cache/resource-version.js";

const middle = () => 0.5; // no jitter: exactly the base delay

describe("nextDelay", () => {
  it("grows by the multiplier from the initial delay (roperator defaults)", () => {
    const delays = [1, 2, 3, 4].map((n) => nextDelay(n, DEFAULT_QUEUE_BACKOFF, middle));
    assert.deepEqual(delays, [500, 750, 1125, 1688]);
  });

  it("doubles from 800 ms and caps at 30 s for the watch loop", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((n) => nextDelay(n, DEFAULT_WATCH_BACKOFF, middle));
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  });

  it("spreads the delay by ±jitter and never exceeds the cap", () => {
    const opts = { initialDelayMs: 1000, maxDelayMs: 1200, multiplier: 2, jitter: 0.5 };
    assert.equal(
      nextDelay(1, opts, () => 0),
      500,
    );
    assert.equal(
      nextDelay(1, opts, () => 0.999999),
      1200,
      "capped after jitter",
    );
    for (let i = 0; i < 100; i++) {
      const d = nextDelay(1, opts);
      assert.ok(d >= 500 && d <= 1200, `${d}`);
    }
  });

  it("stays finite for absurd attempt counts", () => {
    assert.equal(nextDelay(1e6, DEFAULT_QUEUE_BACKOFF, middle), 600_000);
  });
});

describe("resolveBackoffOptions", () => {
  it("fills unset fields from the defaults", () => {
    assert.deepEqual(resolveBackoffOptions({ initialDelayMs: 5, maxDelayMs: undefined }, DEFAULT_QUEUE_BACKOFF), {
      ...DEFAULT_QUEUE_BACKOFF,
      initialDelayMs: 5,
    });
  });
  it("rejects nonsense", () => {
    assert.throws(() => resolveBackoffOptions({ multiplier: 0.5 }, DEFAULT_QUEUE_BACKOFF), RangeError);
    assert.throws(() => resolveBackoffOptions({ jitter: 2 }, DEFAULT_QUEUE_BACKOFF), RangeError);
    assert.throws(() => resolveBackoffOptions({ initialDelayMs: 10, maxDelayMs: 5 }, DEFAULT_QUEUE_BACKOFF), RangeError);
  });
});

describe("recordFailure", () => {
  it("counts consecutive failures and starts over after the reset period", () => {
    let h = recordFailure(NO_FAILURES, 1000, 120_000);
    assert.deepEqual(h, { attempt: 1, lastFailureAt: 1000 });
    h = recordFailure(h, 2000, 120_000);
    h = recordFailure(h, 60_000, 120_000);
    assert.equal(h.attempt, 3);
    h = recordFailure(h, 60_000 + 120_000, 120_000);
    assert.deepEqual(h, { attempt: 1, lastFailureAt: 180_000 });
  });
});

describe("compareResourceVersions", () => {
  it("orders decimal versions numerically, beyond 2^53", () => {
    assert.equal(compareResourceVersions("9", "10"), -1);
    assert.equal(compareResourceVersions("10", "9"), 1);
    assert.equal(compareResourceVersions("42", "42"), 0);
    assert.equal(compareResourceVersions("9007199254740993", "9007199254740992"), 1);
  });
  it("cannot order non-decimal or missing versions", () => {
    assert.equal(compareResourceVersions("abc", "10"), undefined);
    assert.equal(compareResourceVersions(undefined, "10"), undefined);
    assert.equal(isOlderResourceVersion("abc", "10"), false);
    assert.equal(isOlderResourceVersion("9", "10"), true);
  });
});
