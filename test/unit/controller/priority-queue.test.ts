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
