/**
 * Runs one handler call under the operator's handler timeout.
 *
 * Guarantees: the call gets an AbortSignal that fires after `timeoutMs` or when `outer` aborts
 * (shutdown, lease lost). A call that ignores the signal past the timeout is abandoned: the
 * promise rejects with `HandlerTimeoutError` at once (so one hung parent never holds a worker),
 * its late result is discarded, and `onAbandoned` receives a promise that settles when the user's
 * code finally returns. The reconciler uses it to start no other call for the same parent before
 * then (one handler call per parent at a time, even across timeouts).
 *
 * Once `outer` aborts, the call has `abortGraceMs` (default 5 s, never past its timeout) to return;
 * a call that ignores its signal longer is abandoned the same way, rejecting with the outer
 * signal's reason: a hung handler must not hold the operator's shutdown (and the Lease release
 * that ends it) until its timeout, which by default outlasts a kubelet's 30 s termination grace.
 */
import { HandlerTimeoutError } from "../core/errors.js";

/** How long a handler call may run on after shutdown or a lost lease aborted its signal, by default. */
export const DEFAULT_ABORT_GRACE_MS = 5_000;

/** Options of {@link runWithTimeout}. */
export interface HandlerCallOptions {
  operation: "sync" | "finalize";
  parentKey: string;
  timeoutMs: number;
  /** Aborts the call's signal too. */
  outer?: AbortSignal | undefined;
  /** How long the call may run on once `outer` aborted (default {@link DEFAULT_ABORT_GRACE_MS}). */
  abortGraceMs?: number;
  /** Told about a call abandoned at its timeout (or its abort grace); `settled` resolves when the user's code returns. */
  onAbandoned?: (settled: Promise<void>) => void;
}

/** Runs handler `fn` with a timeout; see the module comment. */
export async function runWithTimeout<T>(options: HandlerCallOptions, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const { operation, parentKey, timeoutMs, outer } = options;
  const controller = new AbortController();
  // Promise.resolve().then(...) turns a synchronous throw into a rejection.
  const call = Promise.resolve().then(() => fn(controller.signal));
  const settled = () =>
    call.then(
      () => undefined,
      () => undefined,
    );
  let timer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const abandon = new Promise<never>((_, reject) => {
    const giveUp = (error: unknown) => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.onAbandoned?.(settled());
      reject(error);
    };
    timer = setTimeout(() => {
      const error = new HandlerTimeoutError(operation, timeoutMs, parentKey);
      controller.abort(error);
      giveUp(error);
    }, timeoutMs);
    onOuterAbort = () => {
      controller.abort(outer?.reason);
      const reason =
        outer?.reason instanceof Error ? outer.reason : new Error(`${operation} of ${parentKey} aborted: ${String(outer?.reason)}`);
      graceTimer = setTimeout(() => giveUp(reason), options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS);
    };
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener("abort", onOuterAbort, { once: true });
  });
  try {
    return await Promise.race([call, abandon]);
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    if (onOuterAbort) outer?.removeEventListener("abort", onOuterAbort);
  }
}
