/**
 * The Manager owns the lifecycle of the process (controller-runtime's `pkg/manager`): every part
 * that runs — informers, controllers, the probe/metrics server, leader election, the event
 * recorder, a user's own runnables — is a `Runnable` added to it, and nothing else starts or stops
 * anything.
 *
 * What it guarantees:
 * - Start: the groups of runnables that do not need leadership, in `RUNNABLE_GROUPS` order
 *   (servers, caches, others), each group up (`started`) before the next starts; then the
 *   election; while leading, the leader-only runnables, group by group the same way. Without an
 *   election the leader-only runnables start at once.
 * - Stop (`stop()`, the `signal` given to `start`, or a lost lease): the reverse — leader-only
 *   runnables stop (controllers drain) before the lease is released; then others (the event
 *   recorder flushes), caches, servers; the `closers` (the API client) run last.
 * - Failure: a runnable whose `start` rejects while the manager runs is logged at error, reported
 *   by `failures()` and red in `readiness()`; the others keep running (one operator that cannot
 *   list its children must not stop the others). A runnable that throws at stop is logged only.
 * - A lost lease stops the whole manager and sets `lostLeadership` (controller-runtime exits:
 *   a new leader may already act; restarting is the only way to be sure this process does not).
 */
import { noopLogger, type Logger } from "../observability/logger.js";
import { RUNNABLE_GROUPS, type Election, type Runnable, type RunnableGroup, type RunnableReadiness } from "./runnable.js";

/** Options of {@link Manager}. */
export interface ManagerOptions {
  logger?: Logger;
  /** Gate for the runnables that need leadership; without it they run at once. */
  election?: Election;
  /** Called last at stop, in order (e.g. closing the API client). */
  closers?: ReadonlyArray<() => Promise<void> | void>;
}

/** One runnable's place in the manager. */
interface Slot {
  runnable: Runnable;
  group: RunnableGroup;
  leader: boolean;
  running?: Promise<void>;
  stopped: boolean;
  failure?: unknown;
}

/** A running group: its stop signal and the runnables started in it. */
interface RunningGroup {
  abort: AbortController;
  slots: Slot[];
}

/** Starts runnables in groups, gates some on leadership, stops them in reverse. */
export class Manager {
  private readonly slots: Slot[] = [];
  private readonly log: Logger;
  /** Groups started outside leadership, in start order (stopped from the end). */
  private readonly running: RunningGroup[] = [];
  private readonly electionAbort = new AbortController();
  private electionDone: Promise<void> | undefined;
  /** The current leader phase (leader-only runnables running or stopping), if any. */
  private leaderPhase: Promise<void> | undefined;
  private startedOnce = false;
  private stopping: Promise<void> | undefined;
  private leadingNow = false;
  private lost = false;
  /** Resolves once the manager has stopped completely (closers included). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly options: ManagerOptions = {}) {
    this.log = options.logger ?? noopLogger;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /**
   * Adds a runnable (before `start`). A runnable needs leadership unless it says otherwise,
   * except in the servers and caches groups, which serve every replica.
   */
  add(runnable: Runnable): void {
    if (this.startedOnce) throw new Error(`runnable ${runnable.name} added after the manager started`);
    if (this.slots.some((s) => s.runnable.name === runnable.name)) throw new Error(`a runnable named ${runnable.name} is already added`);
    const group = runnable.group ?? "others";
    const leader = runnable.needsLeaderElection ?? group === "others";
    this.slots.push({ runnable, group, leader, stopped: false });
  }

  /** True while the runnables that need leadership may run (always without an election). */
  get leading(): boolean {
    return this.leadingNow;
  }

  /** True when the manager stopped because the lease was lost (the process should exit non-zero). */
  get lostLeadership(): boolean {
    return this.lost;
  }

  /** The runnables that failed (their `start` rejected while running), with their errors. */
  failures(): Array<{ name: string; error: unknown }> {
    return this.slots.filter((s) => s.failure !== undefined).map((s) => ({ name: s.runnable.name, error: s.failure }));
  }

  /** Names of the runnables, in the order added. */
  names(): string[] {
    return this.slots.map((s) => s.runnable.name);
  }

  /**
   * Readiness of one runnable: red when it failed; its own check while it runs; green while it
   * waits for leadership (a standby is ready to take over), or after a clean stop.
   */
  readinessOf(name: string): RunnableReadiness {
    if (name === "leader-election") {
      // After a lost lease the elector may read "campaigning" again; this process must not look ready.
      if (this.lost) return { ok: false, detail: "lost the leader lease; stopping" };
      return this.options.election?.readiness?.() ?? { ok: true };
    }
    const slot = this.slots.find((s) => s.runnable.name === name);
    if (!slot) return { ok: false, detail: "no such runnable" };
    if (slot.failure !== undefined) return { ok: false, detail: `failed: ${messageOf(slot.failure)}` };
    if (!slot.running) {
      return slot.leader && !this.leadingNow ? { ok: true, detail: "waiting for leadership" } : { ok: false, detail: "not started" };
    }
    if (slot.stopped) return { ok: true, detail: "stopped" };
    return slot.runnable.readiness?.() ?? { ok: true };
  }

  /**
   * Liveness: red once a runnable's loop died (its `start` rejected while the manager ran), since
   * nothing in the process restarts it; a restart of the process is the cure. Green otherwise,
   * whatever readiness says (an unreachable API server is no reason to restart).
   */
  liveness(): RunnableReadiness {
    // A runnable that could not start for a reason a restart does not cure (`restartCures: false`
    // on its error, e.g. a cache that RBAC forbids) is red in readiness only: a restart loop would
    // interrupt the process' healthy operators again and again.
    const failed = this.failures().filter((f) => (f.error as { restartCures?: unknown } | undefined)?.restartCures !== false);
    if (failed.length === 0) return { ok: true, detail: "every runnable running" };
    return { ok: false, detail: failed.map((f) => `${f.name} died: ${messageOf(f.error)}`).join("; ") };
  }

  /** Every check, named: one per runnable, plus the election when there is one. */
  readiness(): Array<{ name: string } & RunnableReadiness> {
    const names = this.options.election ? [...this.names(), "leader-election"] : this.names();
    return names.map((name) => ({ name, ...this.readinessOf(name) }));
  }

  /**
   * Starts everything; resolves once the groups outside leadership are up and, without an
   * election, the leader-only ones too. Aborting `signal` stops the manager like `stop()`.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.startedOnce) throw new Error("the manager is already started");
    this.startedOnce = true;
    if (signal) {
      if (signal.aborted) void this.stop();
      else signal.addEventListener("abort", () => void this.stop(), { once: true });
    }
    for (const group of RUNNABLE_GROUPS) {
      if (this.stopping) return;
      const running = { abort: new AbortController(), slots: this.slots.filter((s) => !s.leader && s.group === group) };
      this.running.push(running);
      await this.startGroup(running);
    }
    if (this.stopping) return;
    const election = this.options.election;
    if (!election) {
      // No election: the leader-only groups start at once and stop with the manager.
      this.leadingNow = true;
      const groups: RunningGroup[] = [];
      const stopSignal = this.electionAbort.signal;
      const starting = this.startLeaderGroups(stopSignal, groups);
      this.electionDone = (async () => {
        await waitAborted(stopSignal);
        await starting;
        await this.stopLeaderGroups(groups);
      })();
      await starting;
      return;
    }
    this.electionDone = election
      .run(this.electionAbort.signal, {
        lead: (leaderSignal) => (this.leaderPhase = this.lead(leaderSignal)),
        stoppedLeading: () => {
          this.leadingNow = false;
          if (this.stopping) return;
          this.log.error("lost the leader lease; stopping");
          this.lost = true;
          void this.stop();
        },
      })
      .catch((err: unknown) => this.log.error("leader election failed", { err }));
  }

  /** Stops everything in reverse order; resolves once stopped. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    // Leader-only runnables first (they stop when the election's work signal aborts), then the
    // election releases the lease; then the other groups, last started first.
    this.electionAbort.abort(new Error("manager stopped"));
    await this.electionDone;
    // After a lost lease the election ends at once; the leader-only runnables may still drain.
    await this.leaderPhase;
    for (const running of [...this.running].reverse()) await this.stopGroup(running);
    for (const close of this.options.closers ?? []) {
      try {
        await close();
      } catch (err) {
        this.log.warn("closing failed", { err });
      }
    }
    this.resolveDone();
  }

  /** Runs the leader-only runnables while `signal` is not aborted; then stops them in reverse. */
  private async lead(signal: AbortSignal): Promise<void> {
    this.leadingNow = true;
    const groups: RunningGroup[] = [];
    const starting = this.startLeaderGroups(signal, groups);
    await waitAborted(signal);
    await starting;
    await this.stopLeaderGroups(groups);
  }

  /** Starts the leader-only groups in order (recorded in `groups` as they start). */
  private async startLeaderGroups(signal: AbortSignal, groups: RunningGroup[]): Promise<void> {
    for (const group of RUNNABLE_GROUPS) {
      if (signal.aborted) return;
      const running = { abort: new AbortController(), slots: this.slots.filter((s) => s.leader && s.group === group) };
      groups.push(running);
      await this.startGroup(running, signal);
    }
  }

  private async stopLeaderGroups(groups: RunningGroup[]): Promise<void> {
    for (const running of [...groups].reverse()) await this.stopGroup(running);
    this.leadingNow = false;
  }

  /** Starts a group's runnables together and waits until each is up (or has already settled). */
  private async startGroup(running: RunningGroup, outer?: AbortSignal): Promise<void> {
    const signal = outer ? AbortSignal.any([outer, running.abort.signal]) : running.abort.signal;
    const ups: Promise<unknown>[] = [];
    for (const slot of running.slots) {
      this.log.debug("starting runnable", { runnable: slot.runnable.name, group: slot.group });
      const started = Promise.resolve().then(() => slot.runnable.start(signal));
      slot.running = started.then(
        () => {
          slot.stopped = true;
          if (!signal.aborted && !this.stopping) this.log.debug("runnable ended by itself", { runnable: slot.runnable.name });
        },
        (err: unknown) => {
          slot.stopped = true;
          if (signal.aborted || this.stopping) {
            this.log.warn("runnable failed while stopping", { runnable: slot.runnable.name, err });
          } else {
            slot.failure = err ?? new Error("failed");
            this.log.error("runnable failed; the others keep running", { runnable: slot.runnable.name, err });
          }
        },
      );
      const up = slot.runnable.started ? Promise.resolve().then(() => slot.runnable.started!(signal)) : Promise.resolve();
      ups.push(Promise.race([up.catch(() => undefined), slot.running]));
    }
    await Promise.all(ups);
  }

  private async stopGroup(running: RunningGroup): Promise<void> {
    running.abort.abort(new Error("manager stopped"));
    await Promise.all(running.slots.map((s) => s.running));
  }
}

function waitAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
