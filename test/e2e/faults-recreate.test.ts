/**
 * Short version of the fault suite's operator-sigkill-recreate case (bench/faults/process-cases.ts,
 * docs/reliability.md), run in `npm test` with few parents: the same case code as `npm run faults`,
 * against the benchmark operator as child processes. Behaviour only.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operatorKillRecreate } from "../../bench/faults/process-cases.js";
import { startSuite, type Suite } from "../../bench/faults/suite.js";

let suite: Suite;

before(async () => {
  suite = await startSuite({ parents: 20, log: () => undefined, logDir: mkdtempSync(join(tmpdir(), "faults-recreate-")) });
});
after(async () => {
  await suite?.stop();
});

test("operator-sigkill-recreate: SIGKILLed between deletes and creates; the new process converges, no missing, duplicate or orphaned child", async () => {
  const r = await operatorKillRecreate().run(suite.ctx, suite.proxy);
  assert.equal(r.error, undefined, r.error);
  assert.ok(r.recoveryMs !== undefined, "every parent converged");
  assert.deepEqual([r.lostUpdates, r.duplicates, r.orphans, r.missing], [0, 0, 0, 0], "lost, duplicates, orphans, missing");
  assert.ok(Number(r.details.configMapsMissingAtKill) > 0, "the kill landed while ConfigMaps were deleted and not created again");
});
