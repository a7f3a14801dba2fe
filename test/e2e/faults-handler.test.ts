/**
 * Short version of the fault suite's hanging-handler case (bench/faults/process-cases.ts,
 * docs/reliability.md), run in `npm test` with few parents and a short handler timeout: the same case
 * code as `npm run faults`, against the benchmark operator as a child process. Behaviour only, no timing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hangingHandler } from "../../bench/faults/process-cases.js";
import { startSuite, type Suite } from "../../bench/faults/suite.js";

let suite: Suite;

before(async () => {
  suite = await startSuite({ parents: 20, log: () => undefined, logDir: mkdtempSync(join(tmpdir(), "faults-handler-")) });
});
after(async () => {
  await suite?.stop();
});

test("hanging-handler: one sync never returns; the others converge, the timeout is reported, its spec change converges once the call returns", async () => {
  const r = await hangingHandler({ handlerTimeoutMs: 2_000, hangAfterChangeMs: 1_500 }).run(suite.ctx, suite.proxy);
  assert.equal(r.error, undefined, r.error);
  assert.ok(r.recoveryMs !== undefined, "the hung parent converged once its call returned");
  assert.deepEqual([r.lostUpdates, r.duplicates, r.orphans, r.missing], [0, 0, 0, 0], "lost, duplicates, orphans, missing");
  assert.match(String(r.details.timeoutEvent), /did not finish within 2000 ms/, "a HandlerTimeout Event says why");
  assert.equal(r.details.convergedWhileCallHung, "no", "no second call for the parent while the first still ran");
  assert.equal(r.details.hungCalls, 1, "the handler was called once with the hang");
  assert.equal(r.details.statusOfHungParent, "null", "no status was written for the hung sync");
});
