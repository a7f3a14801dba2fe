/**
 * The one lifecycle contract of the process (controller-runtime's `manager.Runnable`): anything
 * the `Manager` starts and stops — informers, controllers, the probe/metrics server, the leader
 * elector, the event recorder, and a user's own periodic job or HTTP endpoint.
 *
 * Guarantees the manager gives a runnable:
 * - `start` is called once, with a signal that aborts when the runnable must stop; `start`'s
 *   promise settling means the runnable has stopped (resolved: cleanly; rejected: it failed).
 * - Runnables are started by group, in the order of `RUNNABLE_GROUPS`, and stopped in reverse:
 *   a controller's informers are up before it starts and still up while it drains.
 * - A runnable with `needsLeaderElection` starts only while this process holds the lease (at
 *   once when leader election is off) and its signal aborts when the lease ends.
 *
 * @example
 * ```ts
 * const cleanup: Runnable = {
 *   name: "nightly-cleanup",
 *   needsLeaderElection: true,               // only the leader runs it
 *   async start(signal) {
 *     while (!signal.aborted) {
 *       await removeExpiredBackups();
 *       await sleep(60_000, undefined, { signal }).catch(() => undefined);
 *     }
 *   },
 * };
 * await runOperators([BackupOperator], { runnables: [cleanup] });
 * ```
 */

/** The outcome of one readiness check (what `/readyz?verbose` shows per check). */
export interface RunnableReadiness {
  ok: boolean;
  /** Why it is not ok (or a short state when it is). */
  detail?: string;
}

/**
 * Start order of the groups (stopped in the reverse order): HTTP servers first so probes answer
 * while everything else starts and until everything else has stopped; caches before the work that
 * reads them; everything else last.
 */
export const RUNNABLE_GROUPS = ["servers", "caches", "others"] as const;

/** Which group a runnable belongs to; see {@link RUNNABLE_GROUPS}. */
export type RunnableGroup = (typeof RUNNABLE_GROUPS)[number];

/** Something the manager starts and stops. */
export interface Runnable {
  /** Unique within the manager; names the runnable in logs and readiness checks. */
  readonly name: string;
  /** Default `"others"`. */
  readonly group?: RunnableGroup;
  /**
   * Run only while this process holds the leader lease. Default for a user's runnable: true, as
   * in controller-runtime (two replicas running a job twice is the surprise to avoid).
   */
  readonly needsLeaderElection?: boolean;
  /** Runs until `signal` aborts; the promise settles once stopped. A rejection marks it failed. */
  start(signal: AbortSignal): Promise<void>;
  /**
   * Resolves once the runnable is up (a server listening, a cache listed). The manager waits for
   * it (or for `start` to settle) before starting the next group. Absent: up once `start` is called.
   */
  started?(signal: AbortSignal): Promise<void>;
  /** A cheap readiness check, called on every `/readyz`. Absent: ready while running. */
  readiness?(): RunnableReadiness;
}

/**
 * Leader election as the manager drives it: campaign until `signal` aborts; while leading, call
 * `lead` with a signal that aborts when leadership ends and wait for it; resolve once stopped
 * (after releasing the lease). `LeaderElector` is the implementation; tests pass small fakes.
 */
export interface Election {
  run(signal: AbortSignal, callbacks: ElectionCallbacks): Promise<void>;
  /** Readiness of the campaign itself (e.g. red when the lease cannot even be read). */
  readiness?(): RunnableReadiness;
}

/** What the manager hands its {@link Election}. */
export interface ElectionCallbacks {
  /** Starts the leader-only runnables; resolves once they have stopped. */
  lead(signal: AbortSignal): Promise<void>;
  /** Called when leading ended (lost, or given up at shutdown). */
  stoppedLeading(): void;
}

/** Settles when `signal` aborts (a `start` body for runnables that only act on stop). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
