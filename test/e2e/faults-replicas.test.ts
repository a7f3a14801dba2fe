/**
 * Short version of the fault suite's leader-failover case (bench/faults/process-cases.ts,
 * docs/reliability.md), run in `npm test` with few parents and a short Lease: the same case code as
 * `npm run faults`, two replicas of the benchmark operator as child processes. Behaviour only, no timing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { leaderFailover } from "../../bench/faults/process-cases.js";
import { startSuite, type Suite } from "../../bench/faults/suite.js";

let suite: Suite;

before(async () => {
  suite = await startSuite({ parents: 20, log: () => undefined, logDir: mkdtempSync(join(tmpdir(), "faults-replicas-")) });
});
after(async () => {
  await suite?.stop();
});

test("leader-failover: the leader SIGKILLed mid-convergence, the standby takes over; no overlapping writes, nothing lost", async () => {
  const r = await leaderFailover({ leaseSeconds: 8 }).run(suite.ctx, suite.proxy);
  assert.equal(r.error, undefined, r.error);
  assert.ok(r.recoveryMs !== undefined, "every parent converged after the failover");
  assert.deepEqual([r.lostUpdates, r.duplicates, r.orphans, r.missing], [0, 0, 0, 0], "lost, duplicates, orphans, missing");
  assert.equal(r.details.oldLeaderWritesAfterNewLeadersFirst, 0, "no write of the old leader after the new one's first");
  assert.equal(r.details.standbyWritesBeforeLeading, 0, "no write of the standby before it held the Lease");
  assert.ok(Number(r.details.killToLeaseAcquiredMs) > 0, "the standby took the Lease after the kill");
  assert.ok(Number(r.details.killToNewLeaderFirstWriteMs) >= Number(r.details.killToLeaseAcquiredMs), "and wrote only after that");
});
