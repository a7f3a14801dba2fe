/**
 * Failable handlers (roperator's `FailableHandler` + `DefaultFailableHandler`): validation, child
 * computation and status determination as separate steps, errors turned into status with a
 * per-parent exponential backoff. On failure the existing children are kept. A parent can be given
 * up on for good (`giveUpAfter`, `neverRetry`): its failure is then a `TerminalError`, not retried
 * until the parent or one of its children changes.
 */
import type { KubeObject } from "../core/kube-object.js";
import { DEFAULT_BACKOFF, backoffConfig, nextDelay, type BackoffConfig } from "../core/backoff.js";
import { answerFailure, type Handler, type MaybePromise } from "./handler.js";
import { FinalizeResponse, SyncResponse, type DesiredChild } from "./responses.js";
import type { SyncRequest } from "./sync-request.js";
import { toApiError } from "../kube/errors.js";
import { TerminalError, isTerminalError } from "../core/errors.js";

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
  /**
   * Give up on a parent after this many failed syncs in a row (roperator's `give_up_after`): the
   * last failure's status is written and the parent is not retried until it or one of its
   * children changes. A new generation of the parent starts the count again. Default: never give up.
   */
  readonly giveUpAfter?: number;
  /**
   * Failures that are not retried at all (roperator's `never_retry`): `true` for every failure, or
   * a test of the error (e.g. `(e) => e instanceof ValidationError`). Such a failure writes its
   * status and waits for a change of the parent or a child, like a `TerminalError`. Default: none.
   */
  readonly neverRetry?: boolean | ((error: unknown) => boolean);
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

/** Per-parent consecutive-failure counts, keyed by uid (name as a fallback), per generation. */
class FailureCounts {
  private readonly counts = new Map<string, { n: number; generation: unknown }>();
  constructor(private readonly max: number) {}

  /** Counts one more failure; a failure of another generation than the last one counts as the first. */
  fail(key: string, generation?: unknown): number {
    const last = this.counts.get(key);
    const n = last && last.generation === generation ? last.n + 1 : 1;
    this.counts.delete(key); // re-insert: Map order is then least-recently-failed first
    this.counts.set(key, { n, generation });
    if (this.counts.size > this.max) this.counts.delete(this.counts.keys().next().value!);
    return n;
  }

  reset(key: string): void {
    this.counts.delete(key);
  }
}

/** A `TerminalError` saying why the parent is given up on, with the handler's error as its cause. */
function giveUp(error: unknown, why: string): TerminalError {
  const message = error instanceof Error ? error.message : String(error);
  // The runtime's report adds "(not retried until the parent or one of its children changes)".
  return new TerminalError(`${message} (${why})`, { cause: error });
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
  const giveUpAfter = options.giveUpAfter;
  if (giveUpAfter !== undefined && !(Number.isInteger(giveUpAfter) && giveUpAfter >= 1)) {
    throw new RangeError(`failable: giveUpAfter must be a whole number >= 1 (got ${giveUpAfter})`);
  }
  const neverRetry = (error: unknown): boolean =>
    typeof options.neverRetry === "function" ? options.neverRetry(error) === true : options.neverRetry === true;
  /** The failed response of a sync: retried after the parent's next backoff delay, or given up on (terminal). */
  const failedSync = (req: SyncRequest<P>, error: unknown, status: unknown): SyncResponse => {
    if (isTerminalError(error)) return SyncResponse.failed(error, { status });
    if (neverRetry(error)) return SyncResponse.failed(giveUp(error, "not retried (neverRetry)"), { status });
    const count = failures.fail(parentKey(req), req.raw.metadata?.generation);
    if (giveUpAfter !== undefined && count >= giveUpAfter) {
      return SyncResponse.failed(giveUp(error, `gave up after ${count} failed syncs in a row (giveUpAfter)`), { status });
    }
    return SyncResponse.failed(error, { status, resyncAfter: nextDelay(count, cfg, options.random) });
  };

  const result: Handler<P> = {
    async sync(req) {
      const validated = await step<V>(() => (handler.validate ? handler.validate(req) : (undefined as V)));
      if (!validated.ok) {
        const { error } = validated;
        return answerFailure(error, async () => {
          const status = await handler.determineStatus(req, { kind: "validationFailed", ok: false, error });
          return failedSync(req, error, status);
        });
      }
      const children = await step<DesiredChild[]>(() => handler.syncChildren(req, validated.value));
      if (!children.ok) {
        const outcome = { kind: "syncFailed", ok: false, validated: validated.value, error: children.error } as const;
        return answerFailure(children.error, async () => {
          const status = await handler.determineStatus(req, outcome);
          return failedSync(req, children.error, status);
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
          return FinalizeResponse.failed(error, { status, retryAfter: retryDelay(req) });
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
