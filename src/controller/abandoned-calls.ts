/**
 * Handler calls abandoned at their timeout that are still running, per parent key.
 *
 * Guarantees (with `runWithTimeout`): no new handler call starts for a parent while an abandoned
 * call for it still runs; a sync asked for meanwhile (`busy` answered true) is asked for again,
 * once, through `onSettled` when the abandoned call returns. A call that never returns keeps its
 * parent waiting (and says so through `busy`), never a worker.
 */
export class AbandonedCalls {
  private readonly running = new Map<string, Promise<void>>();
  /** Keys whose sync was skipped while their abandoned call ran: re-added when it settles. */
  private readonly wanted = new Set<string>();

  constructor(private readonly onSettled: (key: string) => void) {}

  /** Records that the call for `key` was abandoned; `settled` resolves when the user's code returns. */
  track(key: string, settled: Promise<void>): void {
    this.running.set(key, settled);
    void settled.then(() => {
      if (this.running.get(key) !== settled) return;
      this.running.delete(key);
      if (this.wanted.delete(key)) this.onSettled(key);
    });
  }

  /** True when an abandoned call for `key` still runs; the key is then re-added when it settles. */
  busy(key: string): boolean {
    if (!this.running.has(key)) return false;
    this.wanted.add(key);
    return true;
  }

  /** Forgets a key whose parent is gone (its abandoned call may still settle; nothing is re-added). */
  forget(key: string): void {
    this.wanted.delete(key);
  }

  /** Abandoned calls still running. */
  get size(): number {
    return this.running.size;
  }
}
