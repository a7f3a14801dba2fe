/**
 * The bookkeeping behind Kubernetes Event recording, after client-go's EventCorrelator but
 * simpler: a per-object token bucket (the spam filter) and a bounded, time-windowed cache of
 * recently written Events (the aggregator). Pure: no I/O, the clock is injected.
 */

/** Tuning of {@link EventCorrelator}; defaults follow client-go's spam filter and aggregator. */
export interface EventCorrelatorOptions {
  /** Events one object may record at once after a quiet period. Default 25 (client-go). */
  burst?: number;
  /** Milliseconds to earn back one token. Default 300 000 (one per 5 minutes, client-go). */
  refillIntervalMs?: number;
  /** An identical event within this window updates the existing Event. Default 600 000 (10 min). */
  aggregationWindowMs?: number;
  /** How many objects / aggregation keys are remembered (least recently used go first). Default 4096. */
  maxEntries?: number;
  /** Clock in milliseconds. Default Date.now. */
  now?: () => number;
}

/** What the cache remembers about an Event it wrote (or is writing). */
export interface AggregatedEvent {
  namespace: string;
  /** Name of the Event object once created; undefined until then (or after it vanished). */
  name?: string;
  /** Occurrences so far (what the Event's `count` should say). */
  count: number;
  /** The `count` the server holds. */
  written: number;
  firstTimestamp: string;
  lastTimestamp: string;
  /** Clock value of the last occurrence. */
  lastSeenMs: number;
  /** The write loop in flight for this Event, if any. */
  writing?: Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Decides whether an event may be recorded and whether it aggregates into an existing one. */
export class EventCorrelator {
  private readonly burst: number;
  private readonly refillIntervalMs: number;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly events = new Map<string, AggregatedEvent>();

  constructor(options: EventCorrelatorOptions = {}) {
    this.burst = Math.max(1, Math.floor(options.burst ?? 25));
    this.refillIntervalMs = Math.max(1, options.refillIntervalMs ?? 300_000);
    this.windowMs = options.aggregationWindowMs ?? 600_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 4096);
    this.now = options.now ?? Date.now;
  }

  /** Takes one token from the object's bucket; false when it is empty (drop the event). */
  allow(objectKey: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(objectKey) ?? { tokens: this.burst, updatedMs: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedMs) / this.refillIntervalMs);
    bucket.updatedMs = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    touch(this.buckets, objectKey, bucket, this.maxEntries);
    return allowed;
  }

  /**
   * Counts one occurrence of the event `key` (object uid, type, reason, message): returns the
   * entry to write, which is the existing one (count incremented) when the last occurrence is
   * within the aggregation window, else a fresh one with count 1.
   */
  observe(key: string, namespace: string): AggregatedEvent {
    const nowMs = this.now();
    const timestamp = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
    const existing = this.events.get(key);
    if (existing && nowMs - existing.lastSeenMs <= this.windowMs) {
      existing.count += 1;
      existing.lastTimestamp = timestamp;
      existing.lastSeenMs = nowMs;
      touch(this.events, key, existing, this.maxEntries);
      return existing;
    }
    const fresh: AggregatedEvent = {
      namespace,
      count: 1,
      written: 0,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      lastSeenMs: nowMs,
    };
    touch(this.events, key, fresh, this.maxEntries);
    return fresh;
  }
}

/** Re-inserts `key` as the most recently used entry and evicts the least recently used. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}

/** Kubernetes caps an Event's message at 1 KiB; longer ones are cut, UTF-8-safely, with "...". */
export function truncateMessage(message: string, maxBytes = 1024): string {
  if (Buffer.byteLength(message, "utf8") <= maxBytes) return message;
  let cut = message.slice(0, maxBytes - 3);
  while (Buffer.byteLength(cut, "utf8") > maxBytes - 3) cut = cut.slice(0, -1);
  // Never end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}...`;
}
