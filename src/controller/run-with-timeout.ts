/**
 * Runs one handler call under the operator's handler timeout.
 *
 * Guarantees: the call gets an AbortSignal that fires after `timeoutMs` or when `outer` aborts
 * (shutdown, lease lost). A call that ignores the signal past the timeout is abandoned: the
 * promise rejects with `HandlerTimeoutError` at once (so one hung parent never holds a worker),
 * its late result is discarded, and `onAbandoned` receives a promise that settles when the user's
 * code finally returns. The reconciler uses it to start no other call for the same parent before
 * then (one handler call per parent at a time, even across timeouts).
 */
import { HandlerTimeoutError } from "../core/errors.js";

/** Options of {@link runWithTimeout}. */
export interface HandlerCallOptions {
  operation: "sync" | "finalize";
  parentKey: string;
  timeoutMs: number;
  /** Aborts the call's signal too. */
  outer?: AbortSignal | undefined;
  /** Told about a call abandoned at its timeout; `settled` resolves when the user's code returns. */
  onAbandoned?: (settled: Promise<void>) => void;
}

/** Runs handler `fn` with a timeout; see the module comment. */
export async function runWithTimeout<T>(options: HandlerCallOptions, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const { operation, parentKey, timeoutMs, outer } = options;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  // Promise.resolve().then(...) turns a synchronous throw into a rejection.
  const call = Promise.resolve().then(() => fn(controller.signal));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new HandlerTimeoutError(operation, timeoutMs, parentKey);
      controller.abort(error);
      options.onAbandoned?.(
        call.then(
          () => undefined,
          () => undefined,
        ),
      );
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
  }
}
