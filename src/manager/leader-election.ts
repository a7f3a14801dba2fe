/**
 * Leader election on a coordination.k8s.io/v1 `Lease`, with client-go's semantics and defaults:
 * lease duration 15 s, renew deadline 10 s, retry period 2 s.
 *
 * - Acquire: create the Lease, or take it over when it is free (empty holder, as a release
 *   leaves it) or expired (unchanged for `leaseDurationSeconds` as this process saw it), incrementing
 *   `leaseTransitions` when the holder changes. Tried every retry period (with jitter).
 * - Renew: every retry period; when no renewal succeeded for the renew deadline, leadership is
 *   lost: the signal handed to `onStartedLeading` is aborted and `run` resolves.
 * - Release (client-go's ReleaseOnCancel, on by default): when `run`'s signal is aborted, the
 *   work is stopped first, then the Lease is written with an empty holder and a 1 s duration so
 *   another candidate takes over at its next try.
 * - Optimistic concurrency: every write is a PUT carrying the resourceVersion just read; a 409
 *   means someone else wrote first, and the Lease is read again.
 *
 * - Failing requests: a Lease that cannot be read or written (403 from RBAC, a namespace that does
 *   not exist, …) is not "held by another". It is logged at error with the fix (once per distinct
 *   error, then every minute) and `health()` turns red until a request succeeds, so `/readyz`
 *   shows a standby that can never lead instead of answering 200.
 *
 * Expiry is measured on this process' monotonic clock between reads of an unchanged Lease, as
 * client-go does, so clock skew between pods cannot make two leaders. When `run` resolves because
 * leadership was lost, the caller should stop (controller-runtime exits the process) rather than
 * keep working.
 *
 * @example
 * ```ts
 * const elector = new LeaderElector({
 *   client, namespace: "operators", name: "echo-server-lock", logger,
 *   onStartedLeading: (signal) => runControllers(signal),
 *   onStoppedLeading: () => logger.info("no longer leading"),
 * });
 * await elector.run(shutdownSignal);
 * ```
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../kube/client.js";
import { ApiError, isNotFound } from "../kube/errors.js";
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { noopLogger, type Logger } from "../observability/logger.js";

/** The resource of coordination.k8s.io/v1 Leases. */
export const LEASE_RESOURCE: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  plural: "leases",
  namespaced: true,
};

/** The wire form of a Lease's spec. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The part of KubeClient the elector uses. */
export type LeaseClient = Pick<KubeClient, "get" | "create" | "replace">;

/** Options of {@link LeaderElector}. Durations are in milliseconds. */
export interface LeaderElectorOptions {
  client: LeaseClient;
  namespace: string;
  /** Name of the Lease, e.g. `<operator>-leader`. */
  name: string;
  /** Default: `<hostname>_<random hex>`, unique per process. */
  identity?: string;
  /** How long a Lease stays valid without renewal. Default 15 000 (rounded up to whole seconds). */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long. Default 10 000. */
  renewDeadlineMs?: number;
  /** Time between tries to acquire or renew. Default 2 000. */
  retryPeriodMs?: number;
  /** Release the Lease when `run`'s signal is aborted. Default true. */
  releaseOnCancel?: boolean;
  /** Called once leadership is acquired; `signal` aborts when it ends. May return a promise. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Called once leading ended (lost, or given up at shutdown). */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to this process). */
  onNewLeader?(identity: string): void;
  /** Receives `leading(name, isLeader)`: `Metrics` fits (`leader_election_master_status`). */
  metrics?: { leading(name: string, isLeader: boolean): void };
  logger?: Logger;
}

/** Extra random wait on top of the retry period, as a fraction of it (avoids candidates in lockstep). */
const JITTER = 0.5;

/** The elector's own health: red while requests on the Lease fail for another reason than a rival holder. */
export interface LeaderElectionHealth {
  ok: boolean;
  detail: string;
}

/** How often a persisting Lease error is logged again. */
const ERROR_LOG_INTERVAL_MS = 60_000;

/** Campaigns for one Lease and runs `onStartedLeading` while holding it. */
export class LeaderElector {
  /** This candidate's identity, as written to `spec.holderIdentity`. */
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: Logger;
  private leading = false;
  /** performance.now() of the last successful acquire or renew. */
  private lastRenewedAt = 0;
  private observedHolder?: string;
  /** The spec last read and when (local monotonic time) it last changed. */
  private observed?: { raw: string; at: number };
  /** The last Lease request error (cleared by a successful request), and when it was last logged. */
  private requestError?: { message: string; loggedAt: number };

  constructor(private readonly options: LeaderElectorOptions) {
    this.identity = options.identity ?? `${hostname()}_${randomBytes(4).toString("hex")}`;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(this.leaseDurationMs > this.renewDeadlineMs))
      throw new Error("leader election: leaseDurationMs must be greater than renewDeadlineMs");
    if (!(this.renewDeadlineMs > this.retryPeriodMs * (1 + JITTER)))
      throw new Error(`leader election: renewDeadlineMs must be greater than ${1 + JITTER} x retryPeriodMs`);
    if (!(this.retryPeriodMs > 0)) throw new Error("leader election: retryPeriodMs must be positive");
    this.logger = (options.logger ?? noopLogger).child({ lease: `${options.namespace}/${options.name}`, identity: this.identity });
  }

  /** True while this process holds the Lease and renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.leading && performance.now() - this.lastRenewedAt <= this.renewDeadlineMs;
  }

  /** Green while the Lease can be read and written (whoever holds it); red with the error otherwise. */
  health(): LeaderElectionHealth {
    if (this.requestError) return { ok: false, detail: this.requestError.message };
    if (this.leading) return { ok: true, detail: "leading" };
    return { ok: true, detail: this.observedHolder ? `standby; held by ${this.observedHolder}` : "campaigning" };
  }

  /**
   * Campaigns until leadership is acquired, leads until it is lost or `signal` aborts, then
   * resolves (after releasing the Lease when aborted and `releaseOnCancel`). Never rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.options.metrics?.leading(this.options.name, false);
    let acquired = false;
    try {
      acquired = await this.acquire(signal);
    } catch (err) {
      this.logger.error("leader election: campaign failed", { err });
    }
    if (!acquired) return;
    this.leading = true;
    this.options.metrics?.leading(this.options.name, true);
    this.logger.info("acquired leadership");
    const work = new AbortController();
    const running = Promise.resolve()
      .then(() => this.options.onStartedLeading(work.signal))
      .catch((err: unknown) => this.logger.error("onStartedLeading failed", { err }));

    try {
      await this.renewUntilLost(signal);
    } catch (err) {
      // Not expected (every request error is caught below); leading without renewing is unsafe.
      this.logger.error("leader election: renew loop failed", { err });
    }

    this.leading = false;
    this.options.metrics?.leading(this.options.name, false);
    work.abort(new Error(signal.aborted ? "leader election stopped" : "leadership lost"));
    if (signal.aborted) {
      // Let the work stop before another candidate may start, but no longer than the Lease
      // would protect it anyway.
      await Promise.race([running, sleep(this.leaseDurationMs, undefined, { ref: false })]);
      if (this.options.releaseOnCancel !== false) await this.release();
    } else {
      const holder = this.observedHolder !== this.identity ? this.observedHolder : undefined;
      this.logger.error(
        holder ? "lost leadership: the lease is held by another candidate" : "lost leadership: no renewal within the renew deadline",
        {
          renewDeadlineMs: this.renewDeadlineMs,
          ...(holder ? { holder } : {}),
        },
      );
    }
    try {
      this.options.onStoppedLeading?.();
    } catch (err) {
      this.logger.error("onStoppedLeading failed", { err });
    }
  }

  /** Tries every retry period (jittered) until acquired (true) or aborted (false). */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.logger.debug("campaigning for leadership");
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      if (!(await pause(this.retryPeriodMs * (1 + Math.random() * JITTER), signal))) return false;
    }
    return false;
  }

  /** Renews every retry period; returns when aborted or when the renew deadline passed. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    while (await pause(this.retryPeriodMs, signal)) {
      const remaining = this.lastRenewedAt + this.renewDeadlineMs - performance.now();
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, Math.ceil(remaining)))]);
      const renewed = await this.tryAcquireOrRenew(attempt);
      if (signal.aborted || renewed) continue;
      // Someone else holds a valid Lease (it was taken over): stop at once, not at the deadline.
      if (this.observedHolder !== undefined && this.observedHolder !== this.identity) return;
      if (performance.now() - this.lastRenewedAt > this.renewDeadlineMs) return;
    }
  }

  /**
   * One round of client-go's tryAcquireOrRenew: read, decide, write with the read
   * resourceVersion. A conflict re-reads at once (another writer got in between).
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name } = this.options;
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = new Date();
      try {
        const lease = await client.get(LEASE_RESOURCE, namespace, name, { signal });
        if (!lease) {
          const created = await client.create(
            LEASE_RESOURCE,
            { metadata: { namespace, name }, spec: this.spec({ acquireTime: microTime(now), leaseTransitions: 0 }, now) },
            { signal },
          );
          return this.succeeded(created);
        }
        this.requestError = undefined;
        const spec = (lease.spec ?? {}) as LeaseSpec;
        this.observe(spec);
        const holder = spec.holderIdentity ?? "";
        const ours = holder === this.identity;
        if (holder !== "" && !ours && !this.expired(spec, now)) return false;
        const transitions = spec.leaseTransitions ?? 0;
        const next = this.spec(
          ours
            ? { acquireTime: spec.acquireTime ?? microTime(now), leaseTransitions: transitions }
            : { acquireTime: microTime(now), leaseTransitions: transitions + 1 },
          now,
        );
        const written = await client.replace(LEASE_RESOURCE, { ...lease, spec: next }, { signal });
        if (!ours) this.logger.info("took over the lease", { previousHolder: holder || "(released)", leaseTransitions: transitions + 1 });
        return this.succeeded(written);
      } catch (err) {
        if (err instanceof ApiError && err.statusCode === 409) continue; // AlreadyExists or Conflict: read again
        if (!signal.aborted) this.requestFailed(err);
        return false;
      }
    }
    return false;
  }

  /** Gives the Lease up so the next candidate acquires it at its next try (ReleaseOnCancel). */
  private async release(): Promise<void> {
    const { client, namespace, name } = this.options;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    try {
      const lease = await client.get(LEASE_RESOURCE, namespace, name, { signal });
      const spec = (lease?.spec ?? {}) as LeaseSpec;
      if (!lease || spec.holderIdentity !== this.identity) return;
      const now = microTime(new Date());
      const released: LeaseSpec = {
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: spec.leaseTransitions ?? 0,
      };
      await client.replace(LEASE_RESOURCE, { ...lease, spec: released }, { signal });
      this.logger.info("released the lease");
    } catch (err) {
      if (!isNotFound(err)) this.logger.warn("could not release the lease; others take over when it expires", { err });
    }
  }

  private spec(fields: { acquireTime: string; leaseTransitions: number }, now: Date): LeaseSpec {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: fields.acquireTime,
      renewTime: microTime(now),
      leaseTransitions: fields.leaseTransitions,
    };
  }

  /**
   * A request on the Lease failed (not a conflict): this candidate cannot lead until it is fixed.
   * Logged at error with the fix, once per distinct error and then every minute; `health()` is red.
   */
  private requestFailed(err: unknown): void {
    const { namespace, name } = this.options;
    const reason = err instanceof Error ? err.message : String(err);
    const hint =
      err instanceof ApiError && (err.statusCode === 403 || err.statusCode === 404)
        ? ` (the Lease namespace must exist and the operator's Role must allow get, create and update on leases there;` +
          ` in a pod set POD_NAMESPACE from the downward API, or pass --lease-namespace)`
        : "";
    const message = `cannot read or write Lease ${namespace}/${name}: ${reason}${hint}`;
    const now = performance.now();
    const last = this.requestError;
    if (!last || last.message !== message || now - last.loggedAt >= ERROR_LOG_INTERVAL_MS) {
      this.logger.error(`leader election: ${message}`, { err });
      this.requestError = { message, loggedAt: now };
    } else {
      this.requestError = { message, loggedAt: last.loggedAt };
    }
  }

  private succeeded(lease: KubeObject): boolean {
    this.requestError = undefined;
    this.observe((lease.spec ?? {}) as LeaseSpec);
    this.lastRenewedAt = performance.now();
    return true;
  }

  /** Remembers the spec read, when it changed, and reports a new holder. */
  private observe(spec: LeaseSpec): void {
    const raw = JSON.stringify(spec);
    if (this.observed?.raw !== raw) this.observed = { raw, at: performance.now() };
    const holder = spec.holderIdentity ?? "";
    if (holder !== "" && holder !== this.observedHolder) {
      this.observedHolder = holder;
      this.logger.debug("new leader observed", { holder });
      try {
        this.options.onNewLeader?.(holder);
      } catch (err) {
        this.logger.warn("onNewLeader failed", { err });
      }
    }
  }

  /**
   * client-go's rule: the Lease has not changed for a lease duration, as observed by this process
   * on its own monotonic clock. Comparing the holder's `renewTime` with this process' clock would
   * let a skewed clock on either side take over a live lease (two leaders) or never take over a
   * dead one; time measured here between two reads of an unchanged Lease cannot be skewed.
   */
  private expired(spec: LeaseSpec, _now: Date): boolean {
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseDurationMs / 1000)) * 1000;
    return this.observed !== undefined && this.observed.at + durationMs < performance.now();
  }
}

/** MicroTime, as the Lease's `acquireTime`/`renewTime` need: RFC 3339 with 6 fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Waits `ms`; false when `signal` aborted first (or already had). */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
