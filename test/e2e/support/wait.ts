/**
 * Waiting for a condition in e2e tests that have no TestKit (`TestKit.eventually` retries a check
 * that throws; this polls a condition). One rule for every test: the check's value ends the wait
 * unless it is `undefined` or `false` (so a count of 0 or an empty string is an answer), and the
 * wait fails with what it waited for.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { EventuallyOptions } from "../../../src/testing/index.js";

/** Options of {@link waitFor}: TestKit's `timeout` and `interval`, plus how to treat errors. */
export interface WaitOptions extends EventuallyOptions {
  /** A check that throws means "not yet" (the last error is reported at the timeout). Default false: the error ends the wait. */
  retryErrors?: boolean;
  /** Appended to the timeout error (e.g. the last lines of a log). */
  detail?: () => string;
}

/**
 * Polls `check` (default every 50 ms, for 20 s) until it returns a value other than `undefined` or
 * `false`, and resolves with that value; throws `timed out waiting for <what>` otherwise.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const timeout = options.timeout ?? 20_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    } catch (err) {
      if (!options.retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? `: ${(lastError as Error).message}` : "";
      const detail = options.detail ? `\n${options.detail()}` : "";
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${cause}${detail}`);
    }
    await sleep(options.interval ?? 50);
  }
}
