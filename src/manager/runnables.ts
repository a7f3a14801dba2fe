/**
 * The runtime's own parts as `Runnable`s: informers (caches group), controllers (leader-only),
 * the event recorder (flushed at stop, after the controllers), the probe/metrics server (servers
 * group, stopped last), and leader election on a Lease as the manager's `Election`.
 *
 * What it guarantees: a controller waits only for its own informers. Past `cacheSyncTimeoutMs` it
 * reports `CacheSyncTimeoutError` (logged at error, red in readiness, reported in the runtime's
 * state: the operator does not run) but keeps waiting: its informers keep retrying their lists with
 * backoff, so RBAC or a CRD that arrives later starts it without a restart (the report clears). The
 * other controllers run on meanwhile. A controller whose syncs fail with 401 (a revoked or expired
 * token: the watches opened before keep delivering, so only a request tells) is red in readiness
 * until a sync succeeds.
 */
import { cacheScopeText } from "../cache/cache-scope.js";
import type { Informer, InformerHealth } from "../cache/informer.js";
import type { Controller } from "../controller/controller.js";
import type { HealthServer } from "../observability/health-server.js";
import type { EventLoopMonitor } from "../observability/event-loop-monitor.js";
import type { EventRecorder } from "./event-recorder.js";
import type { Logger } from "../observability/logger.js";
import { LeaderElector, type LeaderElectorOptions } from "./leader-election.js";
import { aborted, type Election, type ElectionCallbacks, type Runnable } from "./runnable.js";

/** Default bound on a controller's wait for its caches (controller-runtime's CacheSyncTimeout). */
export const DEFAULT_CACHE_SYNC_TIMEOUT_MS = 120_000;

/**
 * A controller's caches did not finish their first list in time (typically RBAC without `list`
 * or `watch` on one of its types, or a type the server stopped serving). The controller does not
 * run until they list (its informers keep retrying); the process' other controllers run; `/readyz`
 * is red meanwhile.
 */
export class CacheSyncTimeoutError extends Error {
  /**
   * Liveness stays green for it: restarting the process does not grant the missing RBAC, and a
   * restart loop would interrupt the operators that run. Readiness is red until the caches list.
   */
  readonly restartCures = false;

  constructor(
    readonly operator: string,
    /** The informers that had not listed, with their last error. */
    readonly unsynced: readonly string[],
    timeoutMs: number,
  ) {
    super(
      `operator ${operator}: caches not synced after ${Math.round(timeoutMs / 1000)} s (${unsynced.join("; ")}); ` +
        `the operator does not run until they list — check that its RBAC allows list and watch on these types ` +
        `(the lists are retried: no restart needed)`,
    );
    this.name = "CacheSyncTimeoutError";
  }
}

/** A name for an informer that is unique within a pool: `informer:<plural>[.<group>][ in <ns>][ (<selector>)][ [options]]`. */
export function informerName(informer: Informer): string {
  const { type } = informer;
  const scope = cacheScopeText(informer.scope);
  return `informer:${type.group ? `${type.plural}.${type.group}` : type.plural}${scope ? ` ${scope}` : ""}`;
}

/** Resolves once every informer has listed, or after `timeoutMs` (false), or when `signal` aborts (false). */
export async function waitForCaches(informers: readonly Informer[], signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  const bound = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  try {
    await Promise.all(informers.map((i) => i.waitForSync(bound)));
    return true;
  } catch {
    return false;
  }
}

/**
 * An informer's list+watch loop. It counts as up once started: each controller waits for its own
 * informers (bounded), so one type that cannot be listed delays nobody else.
 */
export function informerRunnable(informer: Informer, options: { needsLeaderElection: boolean }): Runnable {
  return {
    name: informerName(informer),
    group: "caches",
    needsLeaderElection: options.needsLeaderElection,
    start: (signal) => informer.start(signal),
    readiness: () => {
      const h = informer.health();
      const detail = `${h.state}${h.stale ? " (stale)" : ""}, ${h.objects} objects${h.lastError ? `; ${h.lastError}` : ""}`;
      return { ok: informerReady(h), detail };
    },
  };
}

/**
 * The readiness rule of an informer: listed, not stale (a watch probe found it silent or the server
 * unreachable), and fewer than 3 failed requests in a row (one retried blip stays green).
 */
export function informerReady(health: InformerHealth): boolean {
  return health.synced && !health.stale && health.consecutiveErrors < 3;
}

/** Controllers waiting for their caches past `cacheSyncTimeoutMs`, with the report (see {@link controllerCacheWait}). */
const waitingPastTimeout = new WeakMap<Controller, CacheSyncTimeoutError>();

/** Why `controller` does not run yet: its caches have not listed within `cacheSyncTimeoutMs` (undefined: it runs, or is still in time). */
export function controllerCacheWait(controller: Controller): CacheSyncTimeoutError | undefined {
  return waitingPastTimeout.get(controller);
}

/**
 * One controller: waits for its own informers, then runs its workers until stopped. Past
 * `cacheSyncTimeoutMs` it reports the caches that have not listed (error log, red readiness,
 * {@link controllerCacheWait}) and the manager's next group is no longer held, but it keeps
 * waiting: once they list (RBAC granted, CRD installed), it runs.
 */
export function controllerRunnable(
  controller: Controller,
  options: { cacheSyncTimeoutMs: number; logger?: Pick<Logger, "error" | "info"> },
): Runnable {
  const own = controller.informers;
  let synced: Promise<boolean> | undefined;
  const waitOwn = (signal: AbortSignal) => (synced ??= waitForCaches(own, signal, options.cacheSyncTimeoutMs));
  const name = `controller:${controller.spec.name}`;
  return {
    name,
    group: "others",
    needsLeaderElection: true,
    async start(signal) {
      if (!(await waitOwn(signal))) {
        if (signal.aborted) return;
        const unsynced = own.filter((i) => !i.hasSynced()).map((i) => `${informerName(i)}: ${i.health().lastError ?? i.health().state}`);
        const report = new CacheSyncTimeoutError(controller.spec.name, unsynced, options.cacheSyncTimeoutMs);
        waitingPastTimeout.set(controller, report);
        options.logger?.error("caches not synced in time: the operator does not run until they list (retried, no restart needed)", {
          runnable: name,
          operator: controller.spec.name,
          err: report,
        });
        try {
          await Promise.all(own.map((i) => i.waitForSync(signal)));
        } catch {
          return; // stopped while waiting
        } finally {
          waitingPastTimeout.delete(controller);
        }
        options.logger?.info("caches synced after the cache sync timeout; the operator runs", {
          runnable: name,
          operator: controller.spec.name,
        });
      }
      await controller.run(signal);
    },
    started: async (signal) => void (await waitOwn(signal)),
    readiness: () => {
      const waiting = waitingPastTimeout.get(controller);
      if (waiting) return { ok: false, detail: waiting.message };
      // Open watches outlive a revoked token: a sync's 401 may be the only sign (until a sync succeeds).
      const refused = controller.credentialsRefused();
      if (refused) {
        return {
          ok: false,
          detail:
            `the API server refuses this operator's credentials (401 Unauthorized) since ${refused.since.toISOString()}: ` +
            `a revoked or expired token? Syncs fail until it is replaced (${refused.message})`,
        };
      }
      return { ok: true };
    },
  };
}

/** The event recorder: nothing to start; at stop (after the controllers) its in-flight writes finish. */
export function eventRecorderRunnable(name: string, recorder: EventRecorder): Runnable {
  return {
    name: `events:${name}`,
    group: "others",
    needsLeaderElection: false,
    async start(signal) {
      await aborted(signal);
      await recorder.flush();
    },
  };
}

/**
 * A health server already listening (bound before the manager starts, so a busy port fails fast); stopped last.
 * With `eventLoop`, the monitor behind its liveness check ticks while the server runs.
 */
export function healthServerRunnable(server: HealthServer, eventLoop?: EventLoopMonitor): Runnable {
  return {
    name: "health-server",
    group: "servers",
    needsLeaderElection: false,
    async start(signal) {
      eventLoop?.start();
      await aborted(signal);
      eventLoop?.stop();
      await server.stop();
    },
  };
}

/** Options of {@link LeaseElection}: the elector's, without the callbacks the manager supplies. */
export type LeaseElectionOptions = Omit<LeaderElectorOptions, "onStartedLeading" | "onStoppedLeading">;

/** Leader election on a Lease (`LeaderElector`) as the manager's `Election`. */
export class LeaseElection implements Election {
  private elector: LeaderElector | undefined;

  constructor(private readonly options: LeaseElectionOptions) {}

  run(signal: AbortSignal, callbacks: ElectionCallbacks): Promise<void> {
    this.elector = new LeaderElector({
      ...this.options,
      onStartedLeading: (leaderSignal) => callbacks.lead(leaderSignal),
      onStoppedLeading: () => callbacks.stoppedLeading(),
    });
    return this.elector.run(signal);
  }

  /** True while this process holds the Lease and renewed it within the renew deadline (by its clock). */
  isLeader(): boolean {
    return this.elector?.isLeader() ?? false;
  }

  /** Red while the Lease cannot be read or written (see `LeaderElector.health`). */
  readiness(): { ok: boolean; detail?: string } {
    return this.elector?.health() ?? { ok: true, detail: "not started" };
  }
}
