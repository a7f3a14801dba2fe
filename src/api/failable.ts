/**
 * Failable handlers (roperator's `FailableHandler` + `DefaultFailableHandler`): validation, child
 * computation and status determination as separate steps, errors turned into status with a
 * per-parent exponential backoff. On failure the existing children are kept.
 */
import type { KubeObject } from "../core/kube-object.js";
import { DEFAULT_BACKOFF, backoffConfig, nextDelay, type BackoffConfig } from "../core/backoff.js";
import { answerFailure, type Handler, type MaybePromise } from "./handler.js";
import { FinalizeResponse, SyncResponse, type DesiredChild } from "./responses.js";
import type { SyncRequest } from "./sync-request.js";
import { toApiError } from "../kube/errors.js";

/** How the steps of a failable handler ended; given to `determineStatus`. */
export type HandlerOutcome<V = unknown> =
  | { readonly kind: "syncSucceeded"; readonly ok: true; readonly validated: V }
  | { readonly kind: "validationFailed"; readonly ok: false; readonly error: unknown }
  | { readonly kind: "syncFailed"; readonly ok: false; readonly validated: V; readonly error: unknown }
  | { readonly kind: "finalizeSucceeded"; readonly ok: true }
  | { readonly kind: "finalizeFailed"; readonly ok: false; readonly error: unknown };

/**
 * A handler that reports its errors in the parent's status instead of throwing.
 * Each step may throw, or return an `Error` instance, to fail.
 */
export interface FailableHandler<P = KubeObject, V = void> {
  /** Checks the parent; its result is handed to `syncChildren`. Default: succeeds with undefined. */
  validate?(req: SyncRequest<P>): MaybePromise<V | Error>;
  /** The desired children (the complete set), given the validated value. */
  syncChildren(req: SyncRequest<P>, validated: V): MaybePromise<DesiredChild[] | Error>;
  /** Cleanup before deletion; default: nothing to do. */
  finalize?(req: SyncRequest<P>): MaybePromise<void | Error>;
  /** The parent's status for any outcome, successful or not. */
  determineStatus(req: SyncRequest<P>, outcome: HandlerOutcome<V>): MaybePromise<unknown>;
}

/** Options of `failable()`. */
export interface FailableOptions {
  /** Retry delays after failures. Default: roperator's (500 ms, x1.5, +-50 %, 600 s). */
  readonly backoff?: Partial<BackoffConfig>;
  /** Sync every parent this often (ms) while it succeeds, e.g. to poll an external system. */
  readonly regularResyncMs?: number;
  /** Random source for jitter, in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Parents whose failure counts are remembered at most (oldest forgotten first). Default 10000. */
  readonly maxTrackedParents?: number;
}

async function step<T>(run: () => MaybePromise<T | Error>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    const value = await run();
    return value instanceof Error ? { ok: false, error: toApiError(value) } : { ok: true, value };
  } catch (error) {
    // client-node's exceptions read "HTTP-Code: 403 Message: Unknown API Status Code!…": give the status the server's words.
    return { ok: false, error: toApiError(error) };
  }
}

/** Per-parent consecutive-failure counts, keyed by uid (name as a fallback). */
class FailureCounts {
  private readonly counts = new Map<string, number>();
  constructor(private readonly max: number) {}

  fail(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.delete(key); // re-insert: Map order is then least-recently-failed first
    this.counts.set(key, n);
    if (this.counts.size > this.max) this.counts.delete(this.counts.keys().next().value!);
    return n;
  }

  reset(key: string): void {
    this.counts.delete(key);
  }
}

function parentKey(req: SyncRequest<unknown>): string {
  const m = req.raw.metadata;
  return m?.uid ?? `${m?.namespace ?? ""}/${m?.name ?? ""}`;
}

/**
 * Adapts a failable handler to a plain `Handler`. On success the children are returned and the
 * backoff resets; on failure the status from `determineStatus` is written, a resync is scheduled
 * after the parent's next backoff delay, and the response is marked failed so that the runtime
 * keeps the existing children.
 */
export function failable<P, V>(handler: FailableHandler<P, V>, options: FailableOptions = {}): Handler<P> {
  const cfg = options.backoff ? backoffConfig(options.backoff) : DEFAULT_BACKOFF;
  const failures = new FailureCounts(options.maxTrackedParents ?? 10_000);
  const retryDelay = (req: SyncRequest<P>) => nextDelay(failures.fail(parentKey(req)), cfg, options.random);

  const result: Handler<P> = {
    async sync(req) {
      const validated = await step<V>(() => (handler.validate ? handler.validate(req) : (undefined as V)));
      if (!validated.ok) {
        const { error } = validated;
        return answerFailure(error, async () => {
          const status = await handler.determineStatus(req, { kind: "validationFailed", ok: false, error });
          return SyncResponse.failed(error, { status, resyncAfter: retryDelay(req) });
        });
      }
      const children = await step<DesiredChild[]>(() => handler.syncChildren(req, validated.value));
      if (!children.ok) {
        const outcome = { kind: "syncFailed", ok: false, validated: validated.value, error: children.error } as const;
        return answerFailure(children.error, async () => {
          const status = await handler.determineStatus(req, outcome);
          return SyncResponse.failed(children.error, { status, resyncAfter: retryDelay(req) });
        });
      }
      failures.reset(parentKey(req));
      const status = await handler.determineStatus(req, { kind: "syncSucceeded", ok: true, validated: validated.value });
      const response = SyncResponse.of(status).withChildren(...children.value);
      return options.regularResyncMs !== undefined ? response.withResyncAfter(options.regularResyncMs) : response;
    },

    async finalize(req) {
      const done = await step<void>(() => (handler.finalize ? handler.finalize(req) : undefined));
      if (!done.ok) {
        const { error } = done;
        return answerFailure(error, async () => {
          const status = await handler.determineStatus(req, { kind: "finalizeFailed", ok: false, error });
          return FinalizeResponse.retryAfter(retryDelay(req), status);
        });
      }
      failures.reset(parentKey(req));
      return FinalizeResponse.done(await handler.determineStatus(req, { kind: "finalizeSucceeded", ok: true }));
    },
  };
  // No finalize step: no finalize method, so that no finalizer gets added for nothing.
  if (!handler.finalize) delete (result as { finalize?: unknown }).finalize;
  return result;
}
