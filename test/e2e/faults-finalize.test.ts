/**
 * Short version of the fault suite's operator-sigkill-finalize case (bench/faults/process-cases.ts,
 * docs/reliability.md), run in `npm test` with few parents: the same case code as `npm run faults`,
 * against the benchmark operator as child processes. Behaviour only.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operatorKillFinalize } from "../../bench/faults/process-cases.js";
import { startSuite, type Suite } from "../../bench/faults/suite.js";

let suite: Suite;

before(async () => {
  suite = await startSuite({ parents: 20, log: () => undefined, logDir: mkdtempSync(join(tmpdir(), "faults-finalize-")) });
});
after(async () => {
  await suite?.stop();
});

test("operator-sigkill-finalize: SIGKILLed while finalize handlers run; the new process finishes, finalize ran for every parent", async () => {
  const r = await operatorKillFinalize({ finalizeDelayMs: 200 }).run(suite.ctx, suite.proxy);
  assert.equal(r.error, undefined, r.error);
  assert.ok(r.recoveryMs !== undefined, "every parent is gone");
  assert.equal(r.lostUpdates, 0, "no parent left");
  assert.equal(r.details.finalizeNeverRan, 0, "finalize ran for every parent");
  assert.equal(r.details.finalizedAtLeastOnce, r.parents);
  assert.ok(Number(r.details.parentsLeftAtKill) > 0, "the kill landed before every parent was finalized");
  assert.deepEqual([r.duplicates, r.orphans], [0, 0], "no duplicate or orphaned child");
});
