/**
 * The triggers of each parent's next sync, collected beside the work queue (which keeps keys only).
 *
 * Owns: per key, the distinct triggers noted since its last sync started. `take` hands them to the
 * sync that starts and clears them, so triggers that arrive while a sync runs go to the next one,
 * exactly as the queue coalesces the adds. A sync the queue started on its own (a delayed add) has
 * nothing noted: it is a `retry` when the key has failures, else a `resync`. Pure and synchronous.
 */
import { MAX_TRIGGERS, triggerKey, type SyncTrigger } from "../core/sync-trigger.js";

/** Triggers per work-queue key; see the module comment. */
export class SyncReasons {
  private readonly pending = new Map<string, Map<string, SyncTrigger>>();

  /** Notes `trigger` for the next sync of `key` (ignored once `MAX_TRIGGERS` distinct ones wait). */
  note(key: string, trigger: SyncTrigger): void {
    let triggers = this.pending.get(key);
    if (!triggers) {
      triggers = new Map();
      this.pending.set(key, triggers);
    }
    const id = triggerKey(trigger);
    if (!triggers.has(id) && triggers.size < MAX_TRIGGERS) triggers.set(id, trigger);
  }

  /**
   * The triggers of the sync of `key` that starts now, in the order they first happened; cleared.
   * `failures` is the key's consecutive failure count: with nothing noted, it tells a retry from a resync.
   */
  take(key: string, failures: number): SyncTrigger[] {
    const triggers = this.pending.get(key);
    this.pending.delete(key);
    if (triggers && triggers.size > 0) return [...triggers.values()];
    return [{ kind: failures > 0 ? "retry" : "resync" }];
  }

  /** Drops what was noted for `key` (its parent is gone). */
  forget(key: string): void {
    this.pending.delete(key);
  }

  /** Keys with noted triggers (for tests: nothing leaks). */
  get size(): number {
    return this.pending.size;
  }
}
