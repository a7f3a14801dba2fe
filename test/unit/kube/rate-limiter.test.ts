import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TokenBucket } from "../../../src/kube/rate-limiter.js";

describe("token bucket", () => {
  it("lets a burst through, then spaces requests at 1/qps", () => {
    let now = 0;
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, () => now);
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
    assert.ok(Math.abs(bucket.reserve() - 100) < 1e-6);
    assert.ok(Math.abs(bucket.reserve() - 200) < 1e-6);
    now = 1000; // one second refills ten tokens, capped at the burst
    assert.equal(bucket.reserve(), 0);
  });

  it("refuses a non-positive qps", () => {
    assert.throws(() => new TokenBucket({ qps: 0, burst: 1 }), /qps must be > 0/);
  });
});
