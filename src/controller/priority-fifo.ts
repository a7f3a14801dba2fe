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

  /** Takes the next key: the oldest of the highest priority. Undefined when none waits. */
  pop(): K | undefined {
    for (let i = 0; i < this.priorities.length; ) {
      const priority = this.priorities[i]!;
      const line = this.lines.get(priority)!;
      const entry = line.shift();
      if (entry === undefined) {
        // An empty line: drop it so the scan stays short.
        this.lines.delete(priority);
        this.priorities.splice(i, 1);
        continue;
      }
      const live = this.waiting.get(entry.key);
      if (!live || live.seq !== entry.seq) continue; // left behind by a raise
      this.waiting.delete(entry.key);
      return entry.key;
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
