/**
 * Unit tests of the fault suite's pure logic (no server): children and write tallies, the
 * minimum-writes bound, the doc table and its markers, merging results of partial runs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { limitTrace, throttledWrites, type CaseResult } from "../faults/cases.js";
import { faultsTable, mergeCases, replaceFaultsTable, whatAUserSees } from "../faults/report.js";
import {
  betweenDeleteAndCreate,
  finalizeRuns,
  handover,
  minimumWrites,
  parentOfWrite,
  tallyChildren,
  tallyWrites,
  type WriteRecord,
} from "../faults/tally.js";

const parent = (name: string, uid: string) => ({ kind: "BenchParent", metadata: { name, uid } });
const child = (kind: string, name: string, ownerUid: string) => ({
  kind,
  metadata: { name, ownerReferences: [{ uid: ownerUid, controller: true }], labels: { "tsoperator.dev/parent-uid": ownerUid } },
});

test("tallyChildren counts duplicates per parent and kind, orphans without a live owner, and missing children", () => {
  const parents = [parent("a", "u-a"), parent("b", "u-b")];
  const children = [
    child("ConfigMap", "a-a", "u-a"),
    child("ConfigMap", "a-b", "u-a"),
    child("Service", "a", "u-a"),
    child("ConfigMap", "a-x", "u-a"), // a third ConfigMap of a: duplicate
    child("ConfigMap", "b-a", "u-b"), // b misses a ConfigMap and its Service
    child("Service", "gone", "u-gone"), // owner does not exist: orphan
  ];
  assert.deepEqual(tallyChildren(parents, children), { duplicates: 1, orphans: 1, missing: 2 });
  // A parent being deleted is not a live owner.
  const deleting = [{ ...parent("a", "u-a"), metadata: { name: "a", uid: "u-a", deletionTimestamp: "x" } }];
  assert.equal(tallyChildren(deleting, [child("Service", "a", "u-a")]).orphans, 1);
});

test("tallyWrites keeps one user's writes in one namespace since a time, with refusals by code", () => {
  const at = (ms: number) => new Date(ms);
  const w = (over: Partial<WriteRecord>): WriteRecord => ({
    verb: "patch",
    resource: "configmaps",
    namespace: "ns",
    name: "p-a",
    user: "operator",
    code: 200,
    time: at(10),
    ...over,
  });
  const writes = [
    w({}),
    w({ resource: "benchparents", subresource: "status", name: "p" }),
    w({ resource: "benchparents", name: "p", code: 409 }),
    w({ user: "admin" }),
    w({ namespace: "other" }),
    w({ time: at(1) }),
  ];
  assert.deepEqual(tallyWrites(writes, "operator", "ns", 5), {
    total: 3,
    refused: 1,
    conflicts: 1,
    byVerb: { "patch configmaps": 1, "patch benchparents/status": 1, "patch benchparents": 1 },
    refusedBy: { "patch benchparents 409": 1 },
  });
});

test("parentOfWrite maps children to their parent by the workload's names; minimumWrites is 5 per parent and 4 per update", () => {
  assert.equal(parentOfWrite({ resource: "configmaps", name: "p-00001-a" }), "p-00001");
  assert.equal(parentOfWrite({ resource: "services", name: "p-00001" }), "p-00001");
  assert.equal(parentOfWrite({ resource: "benchparents", name: "p-00001" }), "p-00001");
  assert.equal(parentOfWrite({ resource: "configmaps", name: undefined }), undefined);
  assert.equal(minimumWrites(100, 20), 580);
});

const rec = (over: Partial<WriteRecord>): WriteRecord => ({
  verb: "patch",
  resource: "configmaps",
  namespace: "ns",
  name: "p-a",
  user: "a",
  code: 200,
  time: new Date(0),
  ...over,
});

test("tallyWrites takes several users (the replicas of one operator)", () => {
  const writes = [rec({ user: "a" }), rec({ user: "b" }), rec({ user: "c" })];
  assert.equal(tallyWrites(writes, ["a", "b"], "ns").total, 2);
});

test("handover finds the new leader's acquisition, overlapping writes and a standby's early writes; Leases and Events are not workload", () => {
  const t = (ms: number) => new Date(ms);
  const clean = [
    rec({ user: "a", resource: "leases", time: t(1) }),
    rec({ user: "a", time: t(5) }),
    rec({ user: "a", time: t(6), code: 504 }),
    rec({ user: "b", resource: "leases", time: t(20), code: 409 }), // a failed try is no acquisition
    rec({ user: "b", resource: "leases", time: t(30) }),
    rec({ user: "b", resource: "events", time: t(25) }),
    rec({ user: "b", time: t(31) }),
    rec({ user: "a", time: t(40), namespace: "other" }),
  ];
  assert.deepEqual(handover(clean, "a", "b", "ns"), {
    newAcquiredAt: 30,
    oldLastWriteAt: 6,
    newFirstWriteAt: 31,
    oldWritesAfterNewFirst: 0,
    newWritesBeforeAcquired: 0,
    oldRefused: 1,
  });
  const overlapping = [...clean, rec({ user: "a", time: t(32) }), rec({ user: "b", time: t(29) })];
  const seen = handover(overlapping, "a", "b", "ns");
  assert.equal(seen.oldWritesAfterNewFirst, 1);
  assert.equal(seen.newWritesBeforeAcquired, 1);
});

test("betweenDeleteAndCreate names the parents with a child deleted and not created again before a time", () => {
  const t = (ms: number) => new Date(ms);
  const writes = [
    rec({ user: "op", verb: "delete", name: "p-1-a", time: t(1) }),
    rec({ user: "op", verb: "create", name: "p-1-a", time: t(2) }), // recreated in time
    rec({ user: "op", verb: "delete", name: "p-2-a", time: t(3) }), // still gone at 10
    rec({ user: "op", verb: "delete", name: "p-3-b", time: t(4), code: 404 }), // refused: not gone by us
    rec({ user: "op", verb: "delete", name: "p-4-a", time: t(5) }),
    rec({ user: "op", verb: "create", name: "p-4-a", time: t(11) }), // created after the time
  ];
  assert.deepEqual(betweenDeleteAndCreate(writes, "op", "ns", 10), ["p-2", "p-4"]);
});

test("finalizeRuns counts the FINALIZED lines per uid and ignores other lines", () => {
  const runs = finalizeRuns(["FINALIZED u1", "LEADING", "FINALIZED u2", "FINALIZED u1", "FINALIZED"]);
  assert.deepEqual([...runs.entries()].sort(), [
    ["u1", 2],
    ["u2", 1],
  ]);
});

const result = (over: Partial<CaseResult>): CaseResult => ({
  name: "apiserver-sigkill-5s",
  parents: 10,
  fault: "f",
  recoveryFrom: "after /readyz OK",
  capMs: 180_000,
  details: {},
  lostUpdates: 0,
  duplicates: 0,
  orphans: 0,
  missing: 0,
  minimumWrites: 50,
  writes: { total: 55, refused: 2, conflicts: 2, byVerb: {}, refusedBy: {} },
  recoveryMs: 12_345,
  ...over,
});

test("the doc table has one row per case, points at the baseline, and a user-visible sentence from the figures", () => {
  const versions = { kubernetes: "v1.37.2", node: "v24" };
  const machine = { cpus: 2, cpuModel: "x" };
  const table = faultsTable({ date: "2026-12-01T12:00:00Z", parents: 10, machine, versions, cases: [result({})] });
  assert.match(table, /baseline before the reliability work is kept below/);
  assert.match(table, /\| apiserver-sigkill-5s \| f \| 12\.3 s after \/readyz OK \| 0 \| 0 \| 0 \| 55 \(50\) \| 2 \(2\) \|/);
  assert.match(whatAUserSees(result({})), /converge 12\.3 s after it is ready again/);
  const paced = result({
    details: { firstAcceptedWriteAfterReadyzMs: -176, parentsPerSecondAfterReadyz: 7.3, parentsPerSecondBeforeKill: 5.9 },
  });
  assert.match(
    whatAUserSees(paced),
    /Writes resume 0\.0 s after \/readyz OK; the rest goes at 7\.3 parents\/s \(5\.9\/s before the kill\)/,
  );
  assert.match(whatAUserSees(result({ recoveryMs: undefined, lostUpdates: 3 })), /Not converged after 180\.0 s: 3 parents/);
  assert.match(whatAUserSees(result({ name: "watch-stalled", recoveryMs: 150_000 })), /150\.0 s/);
});

test("the table replaces what is between the faults markers, or is appended with them", () => {
  const doc = "# R\n\n<!-- faults:results:start -->\nold\n<!-- faults:results:end -->\n\nafter\n";
  assert.equal(replaceFaultsTable(doc, "new"), "# R\n\n<!-- faults:results:start -->\nnew\n<!-- faults:results:end -->\n\nafter\n");
  assert.equal(replaceFaultsTable("# R\n", "t"), "# R\n\n<!-- faults:results:start -->\nt\n<!-- faults:results:end -->\n");
});

test("a partial run's cases replace the earlier ones of the same name, in the suite's order", () => {
  const earlier = [result({ name: "b", recoveryMs: 1 }), result({ name: "a" })];
  const merged = mergeCases(earlier, [result({ name: "b", recoveryMs: 2 })], ["a", "b"]);
  assert.deepEqual(
    merged.map((c) => [c.name, c.recoveryMs]),
    [
      ["a", 12_345],
      ["b", 2],
    ],
  );
});

test("limitTrace and throttledWrites: the operator's limit log and the 429 writes of a tally", () => {
  assert.deepEqual(limitTrace("limit 32 at 5\nsomething else\nlimit 1 at 900\nlimit 3 at 1200\n"), { lowest: 1, last: 3, changes: 2 });
  assert.deepEqual(limitTrace(""), { changes: 0 });
  const tally = tallyWrites(
    [
      { verb: "patch", resource: "benchparents", namespace: "ns", user: "operator", code: 429, time: new Date(1) },
      { verb: "patch", resource: "configmaps", namespace: "ns", user: "operator", code: 429, time: new Date(2) },
      { verb: "patch", resource: "configmaps", namespace: "ns", user: "operator", code: 409, time: new Date(3) },
    ],
    "operator",
    "ns",
  );
  assert.equal(throttledWrites(tally), 2);
});
