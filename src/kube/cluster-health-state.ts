/**
 * What one client believes about its cluster's health, as a pure state machine (no timers, no I/O:
 * `cluster-health.ts` runs it). Every request outcome and every probe outcome is an input; the
 * outputs say whether the loops waiting out a backoff should wake now and when the next cheap
 * probe should go.
 *
 * - `healthy`: the last outcome was an answer from a working server. No probe runs.
 * - `degraded`: requests failed (no answer, or 5xx) but fewer than `downAfterFailures` in a row and
 *   no probe failed yet. A probe is scheduled so a short blip is confirmed either way quickly.
 * - `down`: enough failures in a row, or a failed probe. One probe runs with its own short backoff
 *   (`probeInitialMs` doubling up to `probeMaxMs`, at most 1 s by default), so the server coming back
 *   is seen within about a second whatever each loop's own backoff has grown to.
 *
 * Guarantees: the first success (a probe or any request) after `degraded`/`down` gives `wake: true`
 * exactly once; outcomes that say nothing about the server (401/403/429, aborted by the caller) are
 * not inputs at all (the caller drops them, see `outcomeOfResponse`).
 */

/** The belief about a cluster. */
export type ClusterHealthKind = "healthy" | "degraded" | "down";

/** State of the machine. */
export interface ClusterHealthState {
  readonly kind: ClusterHealthKind;
  /** Request or probe failures in a row. */
  readonly failures: number;
  /** Probes that failed in a row (drives the probe's own backoff). */
  readonly probeFailures: number;
  /** When the current kind began (ms since the epoch). */
  readonly since: number;
  /** When the cluster last went from degraded/down back to healthy (ms since the epoch). */
  readonly recoveredAt?: number;
}

/** One outcome the machine learns from. */
export type ClusterHealthInput =
  | { type: "requestSucceeded" }
  | { type: "requestFailed" }
  | { type: "probeSucceeded" }
  | { type: "probeFailed" };

/** Settings of the machine. */
export interface ClusterHealthOptions {
  /** Consecutive failed requests that make a degraded cluster `down`. Default 3. */
  downAfterFailures: number;
  /** First probe delay after the first failure, ms. Default 100. */
  probeInitialMs: number;
  /** Upper bound of the probe delay, ms. Default 1000. */
  probeMaxMs: number;
  /** Upper bound of the random delay before each woken loop goes, ms. Default 250. */
  wakeJitterMs: number;
}

/** The defaults: probe after 100 ms, doubling to at most 1 s; wake jitter 0-250 ms. */
export const DEFAULT_CLUSTER_HEALTH_OPTIONS: Readonly<ClusterHealthOptions> = Object.freeze({
  downAfterFailures: 3,
  probeInitialMs: 100,
  probeMaxMs: 1000,
  wakeJitterMs: 250,
});

/** The outcome of one step. */
export interface ClusterHealthStep {
  state: ClusterHealthState;
  /** Wake every loop waiting out a backoff (the cluster just came back). */
  wake: boolean;
  /** Schedule the next probe this many ms from now (undefined: no new probe; one may be pending). */
  probeAfterMs?: number;
}

/** A cluster nobody has heard failing. */
export function initialClusterHealth(now: number): ClusterHealthState {
  return { kind: "healthy", failures: 0, probeFailures: 0, since: now };
}

/** The probe delay after `probeFailures` failed probes: initial doubling, capped. */
export function probeDelay(options: ClusterHealthOptions, probeFailures: number): number {
  return Math.min(options.probeMaxMs, options.probeInitialMs * Math.pow(2, Math.max(0, probeFailures)));
}

/** Advances the machine by one outcome. */
export function stepClusterHealth(
  state: ClusterHealthState,
  input: ClusterHealthInput,
  now: number,
  options: ClusterHealthOptions = DEFAULT_CLUSTER_HEALTH_OPTIONS,
): ClusterHealthStep {
  switch (input.type) {
    case "requestSucceeded":
    case "probeSucceeded": {
      if (state.kind === "healthy") return { state: state.failures === 0 ? state : { ...state, failures: 0 }, wake: false };
      return { state: { kind: "healthy", failures: 0, probeFailures: 0, since: now, recoveredAt: now }, wake: true };
    }
    case "requestFailed": {
      const failures = state.failures + 1;
      if (state.kind === "down") return { state: { ...state, failures }, wake: false };
      if (failures >= options.downAfterFailures) {
        // A probe is already pending when degraded; going down does not add a second one.
        const next: ClusterHealthState = { ...state, kind: "down", failures, since: now };
        return state.kind === "degraded"
          ? { state: next, wake: false }
          : { state: next, wake: false, probeAfterMs: probeDelay(options, 0) };
      }
      if (state.kind === "degraded") return { state: { ...state, failures }, wake: false };
      return {
        state: { ...state, kind: "degraded", failures, probeFailures: 0, since: now },
        wake: false,
        probeAfterMs: probeDelay(options, 0),
      };
    }
    case "probeFailed": {
      // A late probe answer from before the cluster came back says nothing new.
      if (state.kind === "healthy") return { state, wake: false };
      const probeFailures = state.probeFailures + 1;
      const next: ClusterHealthState = {
        ...state,
        kind: "down",
        failures: state.failures + 1,
        probeFailures,
        since: state.kind === "down" ? state.since : now,
      };
      return { state: next, wake: false, probeAfterMs: probeDelay(options, probeFailures) };
    }
  }
}

/** What a finished HTTP exchange says about the server, or undefined when it says nothing. */
export type RequestOutcome = "succeeded" | "failed" | undefined;

/**
 * Classifies an exchange: `code` 0 (no answer: refused, reset, timeout) and 502/503/504 (a proxy
 * without a backend, a server not ready, a timeout) are failures; any other answer proves a
 * working server, except 401/403 (a restarting server refuses for ~1 s while RBAC loads), 429 (a
 * busy server is up, but the adaptive limit handles that) and the other 5xx: the API server
 * answers 500 about one request as often as about itself (server-side apply of a status whose
 * field has the wrong type, a failing admission or conversion webhook), and taking that for an
 * outage made its "recovery" wake every failed sync of every parent at once, over and over.
 * `aborted`: the caller gave up; that says nothing about the server.
 */
export function outcomeOfResponse(code: number, aborted: boolean): RequestOutcome {
  if (aborted) return undefined;
  if (code === 0 || code === 502 || code === 503 || code === 504) return "failed";
  if (code === 401 || code === 403 || code === 429 || code >= 500) return undefined;
  return "succeeded";
}
