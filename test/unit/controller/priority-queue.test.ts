/**
 * The priority logic of the work queue (issue 12, "fresh changes before backlogs"): the pure
 * `PriorityFifo`, the queue's use of it (adds, raises, delayed adds, retries and periodic
 * resyncs), and which events are low priority. No server: the e2e proof is
 * test/e2e/priority-queue.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PriorityFifo, QueuePriority } from "../../../src/controller/priority-fifo.js";
import { WorkQueue } from "../../../src/controller/work-queue.js";
import { priorityOf } from "../../../src/controller/controller.js";
import { reconcileDecisionOf } from "../../../src/controller/reconcile-result.js";

const { low, normal } = QueuePriority;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function drain<K>(fifo: PriorityFifo<K>): K[] {
  const out: K[] = [];
  for (let k = fifo.pop(); k !== undefined; k = fifo.pop()) out.push(k);
  return out;
}

describe("PriorityFifo", () => {
  it("pops the highest priority first, FIFO within one priority", () => {
    const fifo = new PriorityFifo<string>();
    for (const k of ["b1", "b2", "b3"]) fifo.push(k, low);
    fifo.push("n1", normal);
    fifo.push("b4", low);
    fifo.push("n2", normal);
    fifo.push("h", 10);
    assert.equal(fifo.size, 7);
    assert.deepEqual(drain(fifo), ["h", "n1", "n2", "b1", "b2", "b3", "b4"]);
    assert.equal(fifo.size, 0);
  });

  it("a waiting key keeps its place when added again at the same or a lower priority", () => {
    const fifo = new PriorityFifo<string>();
    fifo.push("a", normal);
    fifo.push("b", normal);
    assert.equal(fifo.push("a", normal), false);
    assert.equal(fifo.push("a", low), false);
    assert.equal(fifo.priorityOf("a"), normal, "never lowered");
    assert.deepEqual(drain(fifo), ["a", "b"]);
  });

  it("a key raised from the backlog jumps it, and is popped once", () => {
    const fifo = new PriorityFifo<string>();
    for (let i = 0; i < 1000; i++) fifo.push(`old-${i}`, low);
    fifo.push("live", normal);
    assert.equal(fifo.push("old-500", normal), false, "not new: raised");
    const order = drain(fifo);
    assert.deepEqual(order.slice(0, 2), ["live", "old-500"]);
    assert.equal(order.length, 1000 + 1);
    assert.equal(order.filter((k) => k === "old-500").length, 1);
  });

  it("a key popped and pushed again after a raise is not popped twice by the stale entry", () => {
    const fifo = new PriorityFifo<string>();
    fifo.push("a", low);
    fifo.push("b", low);
    fifo.push("a", normal); // leaves a stale low entry in front of b
    assert.equal(fifo.pop(), "a");
    fifo.push("a", low); // waits again, behind b
    assert.deepEqual(drain(fifo), ["b", "a"]);
  });
});

describe("WorkQueue priorities", () => {
  async function order(setup: (queue: WorkQueue<string>) => void): Promise<string[]> {
    const runs: string[] = [];
    const queue = new WorkQueue<string>({ name: "t", concurrency: 1, process: async (key) => void runs.push(key) });
    setup(queue);
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    await queue.idle();
    controller.abort();
    await done;
    return runs;
  }

  it("runs live adds before the low-priority backlog queued before them", async () => {
    const runs = await order((queue) => {
      for (let i = 0; i < 50; i++) queue.add(`backlog-${i}`, low);
      queue.add("fresh");
      queue.add("backlog-40"); // a live change of a parent that waited in the backlog
    });
    assert.deepEqual(runs.slice(0, 2), ["fresh", "backlog-40"]);
    assert.equal(runs.length, 50 + 1);
  });

  it("a key added during its run at a higher priority runs again at that priority", async () => {
    const runs: string[] = [];
    let queue!: WorkQueue<string>;
    queue = new WorkQueue<string>({
      name: "t",
      concurrency: 1,
      process: async (key) => {
        runs.push(key);
        if (runs.length === 1) {
          queue.add("x", low); // behind: queued at low
          queue.add("first"); // added again while it runs, at normal
        }
      },
    });
    queue.add("first", low);
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    await queue.idle();
    controller.abort();
    await done;
    assert.deepEqual(runs, ["first", "first", "x"]);
  });

  it("a delayed add keeps the highest priority asked; a periodic resync is low, a handler's resyncAfter is not", async () => {
    const periodic = reconcileDecisionOf({ kind: "requeue", afterMs: 10, periodic: true }).queue;
    assert.deepEqual(periodic, { type: "success", requeueAfterMs: 10, requeuePriority: low });
    const chosen = reconcileDecisionOf({ kind: "requeue", afterMs: 10 }).queue;
    assert.deepEqual(chosen, { type: "success", requeueAfterMs: 10 });

    let now = 0;
    const runs: string[] = [];
    const queue = new WorkQueue<string>({ name: "t", concurrency: 1, now: () => now, process: async (key) => void runs.push(key) });
    queue.addAfter("resync-a", 5, low);
    queue.addAfter("resync-b", 5, low);
    queue.addAfter("resync-b", 50, normal); // later, higher: the earlier time and the higher priority
    queue.addAfter("live", 5);
    now = 10;
    await until("the delayed adds are due", () => queue.depth === 3);
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    await queue.idle();
    controller.abort();
    await done;
    assert.deepEqual(runs, ["live", "resync-b", "resync-a"]);
  });

  it("a retry keeps the priority the key ran with", async () => {
    const runs: string[] = [];
    let now = 0;
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const queue = new WorkQueue<string>({
      name: "t",
      concurrency: 1,
      now: () => now,
      process: async (key) => {
        runs.push(key);
        if (key === "blocker") await blocked;
        if (key === "flaky" && runs.length === 1) return { type: "retry", error: new Error("x"), afterMs: 5 };
      },
    });
    const controller = new AbortController();
    const done = queue.start(controller.signal);
    queue.add("flaky", low);
    await until("flaky failed once", () => runs.length === 1 && queue.inFlight === 0);
    queue.add("blocker");
    await until("the blocker runs", () => queue.inFlight === 1);
    queue.add("fresh-low", low);
    now = 10;
    await until("the retry is due", () => queue.depth === 2);
    queue.add("normal-key");
    release();
    await queue.idle();
    controller.abort();
    await done;
    // A retry at normal priority would have run flaky before fresh-low.
    assert.deepEqual(runs, ["flaky", "blocker", "normal-key", "fresh-low", "flaky"]);
  });

  it("events of an informer's initial list are low, every other event is normal", () => {
    const object = { metadata: { name: "a" } };
    assert.equal(priorityOf({ type: "ADDED", object, initialList: true }), low);
    assert.equal(priorityOf({ type: "ADDED", object }), normal);
    assert.equal(priorityOf({ type: "MODIFIED", object, oldObject: object }), normal);
    assert.equal(priorityOf({ type: "DELETED", object }), normal);
  });
});

/**
 * Starvation (controller-runtime issue #3496): with strict priorities, a steady stream of live
 * changes holds every low key back for good, and a failing low key retries at low priority, so it
 * is held back too. The contract: of every 8 pops that pass over an older waiting key, at least
 * one takes the key that has waited longest, so a key with `k` keys older than it waiting is taken
 * within 8 × (k + 1) pops, whatever arrives after it. Counted in pops, not time.
 */
describe("starvation under live churn", () => {
  const OLDEST_EVERY = 8;

  it("a low key behind a backlog is popped within 8 × (keys older + 1) pops of a churn of normal keys", () => {
    const fifo = new PriorityFifo<string>();
    const older = 100;
    for (let i = 0; i < older; i++) fifo.push(`backlog-${i}`, low);
    fifo.push("target", low);
    let live = 0;
    fifo.push(`live-${live++}`, normal);
    let popsUntilTarget = -1;
    for (let step = 1; step <= 10_000; step++) {
      // Churn above capacity: two live changes arrive for every key a worker takes.
      fifo.push(`live-${live++}`, normal);
      fifo.push(`live-${live++}`, normal);
      if (fifo.pop() === "target") {
        popsUntilTarget = step;
        break;
      }
    }
    assert.ok(popsUntilTarget > 0, "the low key was never popped in 10,000 pops of live churn");
    assert.ok(popsUntilTarget <= OLDEST_EVERY * (older + 1), `popped after ${popsUntilTarget} pops, bound ${OLDEST_EVERY * (older + 1)}`);
  });

  it("without churn the order stays strict: priority first, FIFO within one", () => {
    const fifo = new PriorityFifo<string>();
    for (let i = 0; i < 20; i++) fifo.push(`b${i}`, low);
    for (let i = 0; i < 5; i++) fifo.push(`n${i}`, normal);
    const order = drain(fifo);
    assert.deepEqual(order.slice(0, 5), ["n0", "n1", "n2", "n3", "n4"]);
    assert.equal(order.length, 25);
  });

  it("a failing low key keeps retrying under live churn at capacity (counted in runs)", async () => {
    const runs: string[] = [];
    let queue!: WorkQueue<string>;
    let live = 0;
    const controller = new AbortController();
    queue = new WorkQueue<string>({
      name: "t",
      concurrency: 1,
      process: async (key) => {
        runs.push(key);
        if (runs.length >= 400) {
          controller.abort();
          return;
        }
        // Each live change brings the next one: the worker is always busy with live keys.
        if (key.startsWith("live-")) queue.add(`live-${live++}`);
        if (key === "failing") return { type: "retry", error: new Error("boom"), afterMs: 0 };
      },
    });
    queue.add("failing", low);
    queue.add(`live-${live++}`);
    queue.add(`live-${live++}`);
    await queue.start(controller.signal);
    const positions = runs.flatMap((key, i) => (key === "failing" ? [i] : []));
    assert.ok(positions.length > 0, `the failing low key never ran in ${runs.length} runs of live churn`);
    // At most 2 live keys wait before each retry: served within 8 × 3 runs every time.
    const gaps = positions.map((p, i) => p - (i === 0 ? -1 : positions[i - 1]!));
    assert.ok(Math.max(...gaps) <= OLDEST_EVERY * 3, `gaps between its runs: ${gaps.join(",")}`);
    assert.ok(positions.length >= 400 / (OLDEST_EVERY * 3), `ran ${positions.length} times in 400 runs`);
  });
});
