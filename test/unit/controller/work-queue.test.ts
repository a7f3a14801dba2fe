import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue, type ProcessResult, type WorkQueueOptions } from "../../../src/controller/work-queue.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Builds a queue, starts it, and returns a stop function that aborts and waits for the drain. */
/** Resolves once `check` holds (polled every 2 ms), failing after `timeoutMs`: timing-tolerant on a loaded machine. */
async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function startQueue<K = string>(options: Partial<WorkQueueOptions<K>> & Pick<WorkQueueOptions<K>, "process">) {
  const queue = new WorkQueue<K>({ name: "test", concurrency: 1, ...options });
  const controller = new AbortController();
  const done = queue.start(controller.signal);
  return {
    queue,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

describe("WorkQueue", () => {
  it("coalesces adds of a waiting key into one run", async () => {
    const runs: string[] = [];
    const queue = new WorkQueue<string>({ name: "t", concurrency: 2, process: async (key) => void runs.push(key) });
    for (let i = 0; i < 5; i++) queue.add("a");
    queue.add("b");
    assert.equal(queue.depth, 2);
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    await queue.idle();
    assert.deepEqual(runs.sort(), ["a", "b"]);
    controller.abort();
    await done;
  });

  it("never runs a key twice at once, and adds during a run yield exactly one more run", async () => {
    let inFlightA = 0;
    let maxInFlightA = 0;
    let runsA = 0;
    const gate = deferred();
    const { queue, stop } = startQueue({
      concurrency: 4,
      process: async (key) => {
        if (key !== "a") return;
        inFlightA++;
        maxInFlightA = Math.max(maxInFlightA, inFlightA);
        runsA++;
        if (runsA === 1) await gate.promise;
        inFlightA--;
      },
    });
    queue.add("a");
    await sleep(5);
    assert.equal(queue.inFlight, 1);
    queue.add("a");
    queue.add("a");
    queue.add("a");
    assert.equal(queue.depth, 0, "a key in flight is not queued a second time");
    gate.resolve();
    await queue.idle();
    assert.equal(runsA, 2);
    assert.equal(maxInFlightA, 1);
    await stop();
  });

  it("bounds concurrency", async () => {
    let current = 0;
    let max = 0;
    const { queue, stop } = startQueue({
      concurrency: 3,
      process: async () => {
        current++;
        max = Math.max(max, current);
        await sleep(5);
        current--;
      },
    });
    for (let i = 0; i < 20; i++) queue.add(`k${i}`);
    await queue.idle();
    assert.equal(max, 3);
    await stop();
  });

  it("serves ready keys first in, first out; a re-added waiting key keeps its place", async () => {
    const order: string[] = [];
    const queue = new WorkQueue<string>({ name: "t", concurrency: 1, process: async (key) => void order.push(key) });
    for (const key of ["a", "b", "c", "a", "d", "b"]) queue.add(key);
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    await queue.idle();
    assert.deepEqual(order, ["a", "b", "c", "d"]);
    controller.abort();
    await done;
  });

  it("backs off failures exponentially per key and resets the count on success", async () => {
    const delays: number[] = [];
    let calls = 0;
    const failUntil = 3;
    const { queue, stop } = startQueue({
      backoff: { initialDelayMs: 5, multiplier: 2, maxDelayMs: 1000, jitter: 0 },
      onError: (_key, _err, failures, retryInMs) => delays.push(failures * 10_000 + retryInMs),
      process: async () => {
        calls++;
        if (calls <= failUntil) throw new Error(`fail ${calls}`);
      },
    });
    queue.add("a");
    await until("the first failure", () => queue.failures("a") >= 1);
    // Wait for 5 + 10 + 20 ms of backoff and the final success.
    await until("the final success", () => calls > failUntil);
    await queue.idle();
    assert.deepEqual(delays, [10_005, 20_010, 30_020]);
    assert.equal(calls, 4);
    assert.equal(queue.failures("a"), 0, "success resets the failure count");
    await stop();
  });

  it("caps the backoff and spreads it with jitter", async () => {
    const delays: number[] = [];
    const { queue, stop } = startQueue({
      backoff: { initialDelayMs: 1000, multiplier: 10, maxDelayMs: 5000, jitter: 0.5 },
      random: () => 0, // lowest jitter: base * 0.5
      onError: (_k, _e, _f, ms) => delays.push(ms),
      process: async () => {
        throw new Error("always");
      },
    });
    queue.add("a");
    await sleep(5);
    assert.deepEqual(delays, [500]);
    assert.equal(queue.delayedCount, 1);
    queue.forget("a");
    assert.equal(queue.delayedCount, 0, "forget drops the pending retry");
    assert.equal(queue.failures("a"), 0);
    await stop();
  });

  it("requeueAfterMs schedules another run and resets failures", async () => {
    let calls = 0;
    const { queue, stop } = startQueue({
      backoff: { initialDelayMs: 1, jitter: 0 },
      process: async (): Promise<ProcessResult> => {
        calls++;
        if (calls === 1) throw new Error("first fails");
        if (calls === 2) return { requeueAfterMs: 400 };
        return undefined;
      },
    });
    queue.add("a");
    await until("the retry", () => calls === 2);
    assert.equal(queue.failures("a"), 0);
    assert.equal(queue.delayedCount, 1);
    await until("the requeue", () => calls === 3);
    await stop();
  });

  it("addAfter keeps the earliest pending time per key", async () => {
    const runs: number[] = [];
    const order: string[] = [];
    const started = performance.now();
    const { queue, stop } = startQueue({
      process: async (key) => {
        order.push(key);
        if (key === "a") runs.push(performance.now() - started);
      },
    });
    queue.addAfter("a", 2000);
    queue.addAfter("a", 200);
    queue.addAfter("a", 1000);
    // Due keys run in due-time order, however late the process gets the CPU: a kept 200 ms add
    // runs before the 600 ms marker, a kept 1000 or 2000 ms one after it (an elapsed-time upper
    // bound would fail on a starved machine).
    queue.addAfter("marker", 600);
    assert.equal(queue.delayedCount, 2);
    await until("the earliest run", () => runs.length === 1);
    assert.ok(runs[0]! >= 199, `ran after ${runs[0]} ms`);
    await until("the marker", () => order.includes("marker"));
    assert.deepEqual(order, ["a", "marker"]);
    await sleep(2100 - (performance.now() - started));
    assert.equal(runs.length, 1, "the later delayed adds were superseded");
    await stop();
  });

  it("an immediate add runs now and leaves a pending delayed add in place (controller-runtime)", async () => {
    let runs = 0;
    const { queue, stop } = startQueue({ process: async () => void runs++ });
    queue.addAfter("a", 500);
    queue.add("a");
    await until("the immediate run", () => runs === 1);
    assert.equal(queue.delayedCount, 1);
    await until("the delayed run", () => runs === 2);
    await stop();
  });

  it("idle() does not wait for delayed adds due in the future", async () => {
    const { queue, stop } = startQueue({ process: async () => sleep(5) });
    queue.add("a");
    queue.addAfter("b", 60_000);
    const t0 = performance.now();
    await queue.idle();
    // Not the 60 s delayed add: well under it, with room for a starved machine.
    assert.ok(performance.now() - t0 < 30_000);
    assert.equal(queue.delayedCount, 1);
    await stop();
  });

  it("drains in-flight work on abort and takes no new work", async () => {
    const seen: { key: string; aborted: boolean }[] = [];
    let finished = 0;
    const queue = new WorkQueue<string>({
      name: "t",
      concurrency: 2,
      process: async (key, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        await sleep(20); // cleanup after the abort
        seen.push({ key, aborted: signal.aborted });
        finished++;
      },
    });
    queue.add("a");
    queue.add("b");
    queue.add("c");
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    await sleep(5);
    assert.equal(queue.inFlight, 2);
    controller.abort();
    queue.add("d");
    await done;
    assert.equal(finished, 2, "start() resolved only after both in-flight keys finished");
    assert.deepEqual(
      seen.map((s) => s.aborted),
      [true, true],
    );
    assert.equal(queue.isShutdown, true);
    assert.equal(queue.inFlight, 0);
  });

  it("handles 10,000 delayed keys with a handful of timers", async () => {
    const realSetTimeout = globalThis.setTimeout;
    let timers = 0;
    const counting = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    let processed = 0;
    const { queue, stop } = startQueue({ concurrency: 8, process: async () => void processed++ });
    globalThis.setTimeout = counting;
    try {
      // Later keys get earlier due times (the worst order for a single timer).
      for (let i = 0; i < 10_000; i++) queue.addAfter(`k${i}`, 60 - Math.floor(i / 200));
      await Promise.resolve(); // the timer is armed at the end of the tick
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    assert.equal(queue.delayedCount, 10_000);
    assert.equal(timers, 1, `armed ${timers} timers for 10,000 keys`);
    await sleep(80);
    await queue.idle();
    assert.equal(processed, 10_000);
    assert.equal(queue.delayedCount, 0);
    await stop();
  });

  it("reports metrics through the hooks", async () => {
    const events: string[] = [];
    const { queue, stop } = startQueue({
      backoff: { initialDelayMs: 1, jitter: 0 },
      onMetrics: {
        add: () => events.push("add"),
        depth: (n) => events.push(`depth:${n}`),
        start: (key) => events.push(`start:${key}`),
        done: (key) => events.push(`done:${key}`),
        retry: () => events.push("retry"),
      },
      process: async () => {
        if (!events.includes("retry")) throw new Error("once");
      },
    });
    queue.add("a");
    await until("the retry's run", () => events.filter((e) => e === "done:a").length === 2);
    await queue.idle();
    assert.deepEqual(events, ["add", "depth:1", "depth:0", "start:a", "done:a", "retry", "add", "depth:1", "depth:0", "start:a", "done:a"]);
    await stop();
  });

  it("due times survive a wall-clock step backwards (a monotonic clock, not Date.now)", async () => {
    const runs: string[] = [];
    const { queue, stop } = startQueue({ process: async (key) => void runs.push(key) });
    const realNow = Date.now;
    try {
      queue.addAfter("a", 20);
      await Promise.resolve();
      const stepped = realNow() - 3_600_000; // NTP steps the wall clock back one hour
      Date.now = () => stepped + (performance.now() % 1);
      await sleep(120);
    } finally {
      Date.now = realNow;
    }
    assert.deepEqual(runs, ["a"], "the retry was postponed by the clock step");
    await stop();
  });

  it("due times survive a wall-clock step forwards: a later key does not fire early", async () => {
    const runs: string[] = [];
    const { queue, stop } = startQueue({ process: async (key) => void runs.push(key) });
    const realNow = Date.now;
    try {
      queue.addAfter("later", 60_000);
      const stepped = realNow() + 3_600_000; // the wall clock jumps one hour ahead
      Date.now = () => stepped;
      queue.addAfter("soon", 10);
      await sleep(120);
    } finally {
      Date.now = realNow;
    }
    assert.deepEqual(runs, ["soon"], "a retry due in a minute fired at once");
    assert.equal(queue.delayedCount, 1);
    await stop();
  });

  it("limits the overall retry rate with a token bucket next to the per-key backoff (client-go: 10 qps, burst 100)", async () => {
    const delays = new Map<string, number>();
    const { queue, stop } = startQueue({
      concurrency: 8,
      backoff: { initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 },
      retryRateLimit: { qps: 2, burst: 3 },
      // A clock that stands still: the bucket refills by nothing between the failures, however
      // long a starved process takes over them, so the waits are exact (and no retry comes due).
      now: () => 0,
      onError: (key, _e, _f, retryInMs) => {
        if (!delays.has(key)) delays.set(key, retryInMs);
      },
      process: async () => {
        throw new Error("down");
      },
    });
    for (const key of ["a", "b", "c", "d", "e"]) queue.add(key);
    await sleep(30);
    const sorted = [...delays.values()].sort((x, y) => x - y);
    assert.equal(sorted.length, 5);
    assert.deepEqual(sorted, [1, 1, 1, 500, 1000], "the burst retries after the per-key backoff; the 4th and 5th wait for tokens");
    await stop();
  });

  it("has the retry rate limit on by default (10 qps, burst 100)", async () => {
    const delays: number[] = [];
    const { queue, stop } = startQueue({
      concurrency: 200,
      backoff: { initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 },
      now: () => 0, // exact waits (see above)
      onError: (_key, _e, failures, retryInMs) => {
        if (failures === 1) delays.push(retryInMs);
      },
      process: async () => {
        throw new Error("down");
      },
    });
    for (let i = 0; i < 120; i++) queue.add(`k${i}`);
    await sleep(50);
    delays.sort((x, y) => x - y);
    assert.equal(delays.length, 120);
    assert.equal(delays[99], 1);
    assert.equal(delays[100], 100, "the 101st waits for the first token after the burst");
    assert.equal(delays[119], 2_000, "the 120th retry in a burst waits 2 s for its token");
    await stop();
  });
  it("retryFailedSoon brings failing keys' retries forward (the cluster came back), and leaves other delayed keys alone", async () => {
    const runs: string[] = [];
    const { queue, stop } = startQueue({
      backoff: { initialDelayMs: 60_000, multiplier: 1, jitter: 0, maxDelayMs: 60_000 },
      process: async (key) => {
        runs.push(key);
        if (runs.filter((k) => k === key).length === 1 && key === "failing") throw new Error("API server down");
      },
    });
    queue.add("failing");
    queue.addAfter("resync", 60_000);
    await until("the first failure", () => queue.failures("failing") === 1);
    assert.equal(queue.delayedCount, 2);
    assert.equal(queue.retryFailedSoon(10), 1);
    assert.equal(queue.failures("failing"), 0, "the outage's failures do not count against the parent");
    await until("the retry", () => runs.length === 2);
    assert.deepEqual(runs, ["failing", "failing"]);
    assert.equal(queue.delayedCount, 1, "the resync keeps its time");
    await stop();
  });

  it("retryFailedSoon fills the overall retry bucket again: the outage's failures do not pace the retries after it", async () => {
    const delays: number[] = [];
    let down = true;
    const { queue, stop } = startQueue({
      concurrency: 4,
      retryRateLimit: { qps: 1, burst: 2 },
      backoff: { initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 },
      onError: (_key, _e, _failures, retryInMs) => void delays.push(retryInMs),
      process: async () => {
        if (down) throw new Error("API server down");
        throw new Error("409 Conflict from a catching-up cache");
      },
    });
    for (const key of ["a", "b", "c", "d"]) queue.add(key);
    await until("four failures", () => delays.length >= 4);
    assert.ok(delays.slice(0, 4).filter((d) => d > 500).length >= 2, `the drained bucket pushed retries out: ${delays}`);
    down = false;
    delays.length = 0;
    queue.retryFailedSoon(1);
    await until("the retries after the outage fail again", () => delays.length >= 2);
    assert.deepEqual(delays.slice(0, 2), [1, 1], "the first retries after recovery are not held by the outage's tokens");
    await stop();
  });

  it("pause holds the workers (adds still queue and coalesce) until resume", async () => {
    const runs: string[] = [];
    const { queue, stop } = startQueue({ concurrency: 2, process: async (key) => void runs.push(key) });
    queue.pause();
    assert.equal(queue.isPaused, true);
    queue.add("a");
    queue.add("a");
    queue.add("b");
    queue.addAfter("c", 5);
    await sleep(30);
    assert.deepEqual(runs, [], "nothing runs while paused");
    assert.equal(queue.depth, 3, "a (once), b, and c once it came due");
    queue.resume();
    assert.equal(queue.isPaused, false);
    await until("every key ran", () => runs.length === 3);
    assert.deepEqual(runs.sort(), ["a", "b", "c"]);
    queue.resume(); // idempotent
    await stop();
  });

  it("retryFailedSoon also forgets the failures of keys whose retry came due while paused", async () => {
    let fail = true;
    const { queue, stop } = startQueue({
      backoff: { initialDelayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 },
      process: async () => {
        if (fail) throw new Error("down");
      },
    });
    queue.add("a");
    await until("a failed", () => queue.failures("a") >= 1);
    queue.pause();
    await sleep(20); // the retry comes due into the paused queue
    assert.equal(queue.depth, 1);
    assert.ok(queue.failures("a") >= 1);
    queue.retryFailedSoon(1);
    assert.equal(queue.failures("a"), 0);
    fail = false;
    queue.resume();
    await queue.idle();
    await stop();
  });
});
