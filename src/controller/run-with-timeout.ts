import { HandlerTimeoutError } from "../core/errors.js";

/**
 * Runs handler `fn` with an AbortSignal that fires after `timeoutMs` or when `outer` aborts. A
 * handler that ignores the signal is abandoned (its late result is discarded), so one hung parent
 * never holds a worker forever; the rejection is a `HandlerTimeoutError`.
 */
export async function runWithTimeout<T>(
  operation: "sync" | "finalize",
  parentKey: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal) => T | Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onOuterAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new HandlerTimeoutError(operation, timeoutMs, parentKey);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    // Promise.resolve().then(...) turns a synchronous throw into a rejection.
    return await Promise.race([Promise.resolve().then(() => fn(controller.signal)), timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuterAbort);
  }
}
