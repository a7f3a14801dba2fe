/**
 * `eventually`: retry a check until it stops throwing (Gomega's `Eventually`, roperator's
 * `eventually`), the one polling loop of `tsoperator/testing` — `TestKit.eventually` and its
 * `eventuallyExists`/`Deleted`/`Matches` are this loop with a kit's reads. Guarantees: the check
 * runs at least once, its last error is what a timeout throws (an assertion's own message).
 */
import { setTimeout as sleep } from "node:timers/promises";

/** Options of the `eventually` helpers. */
export interface EventuallyOptions {
  /** Give up after this long (ms). Default 20 000. */
  timeout?: number;
  /** Time between tries (ms). Default 50. */
  interval?: number;
}

/**
 * Runs `check` until it returns without throwing and resolves with its value; after `timeout` the
 * check's last error is thrown.
 *
 * ```ts
 * await eventually(async () => assert.equal((await client.get(configMaps, "ns", "x"))?.data?.v, "2"));
 * ```
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeout ?? 20_000);
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(options.interval ?? 50);
    }
  }
}
