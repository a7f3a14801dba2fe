/**
 * Waiting for a condition in e2e tests: `waitFor(what, check)` is `tsoperator/testing`'s
 * `eventually` (the one polling loop: TestKit's too) for a check that answers instead of asserting.
 * One rule for every test: the check's value ends the wait unless it is `undefined` or `false` (so
 * a count of 0 or an empty string is an answer); a check that throws is tried again, and a timeout
 * names what was awaited, with the last error. A check that asserts instead of answering uses
 * `eventually` itself.
 */
import { type EventuallyOptions, eventually } from "../../../src/testing/index.js";

/** Options of {@link waitFor}: `eventually`'s `timeout` (default 20 s) and `interval` (default 50 ms). */
export interface WaitOptions extends EventuallyOptions {
  /** Appended to the timeout error (e.g. the last lines of a log). */
  detail?: () => string;
}

/** Not there yet: the value was `undefined` or `false`. */
class NotYet extends Error {}

/** Polls `check` until it returns a value other than `undefined` or `false`, and resolves with it. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, undefined | false>> {
  try {
    return await eventually(async () => {
      const value = await check();
      if (value === undefined || value === false) throw new NotYet();
      return value as Exclude<T, undefined | false>;
    }, options);
  } catch (err) {
    const cause = err instanceof NotYet ? "" : `: ${(err as Error).message}`;
    const detail = options.detail ? `\n${options.detail()}` : "";
    throw new Error(`timed out after ${options.timeout ?? 20_000} ms waiting for ${what}${cause}${detail}`, { cause: err });
  }
}
