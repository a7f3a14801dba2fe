/**
 * The ready line of the work queue: keys waiting for a worker, highest priority first, first in
 * first out within one priority (controller-runtime's priority queue, pkg/controller/priorityqueue,
 * the default since v0.23). Pure data structure, no timers, no I/O; unit-tested alone.
 *
 * Guarantees:
 * - a key waits at most once; adding it again keeps its place, unless the new priority is higher:
 *   then it moves to the end of the line of that priority (a live change of a parent that waited
 *   behind a backlog at low priority jumps the backlog);
 * - a priority is never lowered by an add (the higher of the two wins, as in controller-runtime);
 * - no starvation: of every {@link OLDEST_TURN_EVERY} pops that pass over an older key waiting at a
 *   lower priority, one takes the key that has waited longest. A key with `k` keys older than it
 *   waiting is popped within `OLDEST_TURN_EVERY × (k + 1)` pops, however many keys of higher
 *   priority arrive after it (controller-runtime's strict order starves low keys under steady live
 *   churn: its issue #3496). Without churn the order stays strict: the turn only comes when a
 *   higher key keeps jumping older ones;
 * - push, pop and raise are O(1) amortized (one FIFO per distinct priority; there are few), with
 *   lazy removal of the entries a raise leaves behind.
 */

/**
 * Priorities of queued keys (higher first). Live changes (watch events) are `normal`; events of
 * an informer's initial list and periodic resyncs are `low`, so a change made a second after a
 * restart does not wait behind thousands of parents that only need a check.
 */
export const QueuePriority = Object.freeze({
  /** Watch events after the initial list: someone changed something. */
  normal: 0,
  /** The initial list's events and periodic resyncs: a check, no known change (controller-runtime's LowPriority). */
  low: -100,
});

/**
 * Of every this many pops that take a newer key of a higher priority while an older key waits, one
 * takes the oldest waiting key instead (see the module comment). 8: live changes keep 7/8 of the
 * workers under churn, the backlog is never below 1/8 of them.
 *
 * Fairness, not aging: aging (a low key waiting longer than X is served like a normal one) would
 * promote a whole initial-list backlog at once — its keys all entered together — and put it back in
 * front of later live changes, the very wait the priorities exist to remove.
 */
export const OLDEST_TURN_EVERY = 8;

interface Entry<K> {
  key: K;
  seq: number;
}

/** One line per priority. */
class Line<K> {
  items: Array<Entry<K>> = [];
  head = 0;
  push(entry: Entry<K>): void {
    this.items.push(entry);
  }
  peek(): Entry<K> | undefined {
    return this.items[this.head];
  }
  shift(): Entry<K> | undefined {
    if (this.head >= this.items.length) return undefined;
    const entry = this.items[this.head];
    this.head += 1;
    // Compact once the consumed prefix dominates: O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return entry;
  }
}

/** Keys waiting, by priority then arrival. See the module comment. */
export class PriorityFifo<K> {
  /** Every waiting key with its priority and the sequence number of its live entry. */
  private readonly waiting = new Map<K, { priority: number; seq: number }>();
  private readonly lines = new Map<number, Line<K>>();
  /** Distinct priorities with a line, highest first. */
  private priorities: number[] = [];
  private nextSeq = 0;
  /** Pops in a row that took a newer key while an older one waited at a lower priority. */
  private passedOver = 0;

  /** Keys waiting. */
  get size(): number {
    return this.waiting.size;
  }

  /** Whether `key` waits. */
  has(key: K): boolean {
    return this.waiting.has(key);
  }

  /** The priority `key` waits with (undefined when it does not wait). */
  priorityOf(key: K): number | undefined {
    return this.waiting.get(key)?.priority;
  }

  /**
   * Adds `key` with `priority`; returns true when it was not waiting before. A waiting key keeps
   * its place unless `priority` is higher than the one it waits with (it then moves up).
   */
  push(key: K, priority: number): boolean {
    const current = this.waiting.get(key);
    if (current && current.priority >= priority) return false;
    const seq = this.nextSeq++;
    this.waiting.set(key, { priority, seq });
    this.lineOf(priority).push({ key, seq });
    return current === undefined;
  }

  /**
   * Takes the next key: the oldest of the highest priority, except on the fairness turn (the
   * oldest of all; see {@link OLDEST_TURN_EVERY}). Undefined when none waits.
   */
  pop(): K | undefined {
    let top: Line<K> | undefined;
    let oldest: Line<K> | undefined;
    let oldestSeq = Infinity;
    for (let i = 0; i < this.priorities.length; ) {
      const priority = this.priorities[i]!;
      const line = this.lines.get(priority)!;
      const head = this.liveHead(line);
      if (head === undefined) {
        // An empty line: drop it so the scan stays short.
        this.lines.delete(priority);
        this.priorities.splice(i, 1);
        continue;
      }
      top ??= line;
      if (head.seq < oldestSeq) {
        oldestSeq = head.seq;
        oldest = line;
      }
      i++;
    }
    if (top === undefined || oldest === undefined) return undefined;
    let line = top;
    if (oldest === top) this.passedOver = 0;
    else if (this.passedOver >= OLDEST_TURN_EVERY - 1) {
      line = oldest;
      this.passedOver = 0;
    } else this.passedOver += 1;
    const entry = line.shift()!;
    this.waiting.delete(entry.key);
    return entry.key;
  }

  /** The line's first entry that still waits, dropping those a raise or a pop left behind. */
  private liveHead(line: Line<K>): Entry<K> | undefined {
    for (let entry = line.peek(); entry !== undefined; entry = line.peek()) {
      if (this.waiting.get(entry.key)?.seq === entry.seq) return entry;
      line.shift();
    }
    return undefined;
  }

  private lineOf(priority: number): Line<K> {
    let line = this.lines.get(priority);
    if (!line) {
      line = new Line<K>();
      this.lines.set(priority, line);
      this.priorities.push(priority);
      this.priorities.sort((a, b) => b - a);
    }
    return line;
  }
}
