/**
 * Unit tests of the scale benchmark's pure logic (bench/lib/scale-report.ts): per-object memory,
 * growth between sizes, the tables, the HEAP line and the `--scale` sizes. No server, no timing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { categoryOf, summarizeProfile } from "../profile/cpu-summary.js";
import { runPlan } from "../lib/scale.js";
import {
  cacheHeapPerObject,
  cacheHeapTable,
  cachedObjects,
  growth,
  growthFigures,
  growthPairs,
  growthTable,
  parseCacheLine,
  parseHeapLine,
  parseScaleSizes,
  perObject,
  scaleTable,
  timeRatio,
  type ScaleRun,
} from "../lib/scale-report.js";

const cpu = (peer: number) => ({ peer, apiServer: peer * 3, etcd: peer, harness: 1 });

function run(peer: string, parents: number, ms: number, writes: number, extra: Partial<ScaleRun> = {}): ScaleRun {
  return {
    peer,
    parents,
    cachedObjects: cachedObjects(parents),
    w1b: { ms, writes, requests: {}, cpuMs: cpu(ms / 10) },
    w2: { ms: ms / 10, writes: 0, requests: {}, cpuMs: cpu(ms / 100) },
    empty: { rssBytes: 100_000_000, heapBytes: 30_000_000 },
    afterW2: { rssBytes: 100_000_000 + parents * 4 * 5000, heapBytes: 30_000_000 + parents * 4 * 1500 },
    ...extra,
  };
}

test("cachedObjects counts the parent and its three children", () => {
  assert.equal(cachedObjects(10_000), 40_000);
});

test("perObject divides full minus empty by the cached objects; the W1b reading stands in when W2 did not run", () => {
  assert.deepEqual(perObject(run("t", 1000, 1, 1)), { rssBytes: 5000, heapBytes: 1500 });
  const raw = run("r", 1000, 1, 1, { w2: undefined, afterW2: undefined, empty: { rssBytes: 10 }, afterW1b: { rssBytes: 4010 } });
  assert.deepEqual(perObject(raw), { rssBytes: 1 });
  assert.deepEqual(perObject({ ...raw, empty: undefined }), {});
});

test("growth is large over small per figure; 0 → 0 is 1x, 0 → n unknown", () => {
  const g = growth(growthFigures(run("t", 1000, 10_000, 5000)), growthFigures(run("t", 10_000, 110_000, 50_000)));
  assert.equal(g.w1bMs, 11);
  assert.equal(g.w1bWrites, 10);
  assert.equal(g.w2Writes, 1);
  assert.equal(growth({ w2Writes: 0 }, { w2Writes: 3 }).w2Writes, undefined);
});

test("growthPairs pairs each peer's smallest and largest successful runs", () => {
  const runs = [run("t", 10_000, 2, 2), run("t", 1000, 1, 1), run("c", 1000, 1, 1), run("c", 10_000, 1, 1, { error: "x" })];
  const pairs = growthPairs(runs);
  assert.deepEqual(
    pairs.map((p) => [p.peer, p.small.parents, p.large.parents]),
    [["t", 1000, 10_000]],
  );
});

test("the tables have a row per run and per peer, and the header's column count", () => {
  const runs = [run("tsoperator", 1000, 10_000, 5000), run("tsoperator", 10_000, 100_000, 50_000)];
  const lines = scaleTable(runs).split("\n");
  assert.equal(lines.length, 4);
  const cols = (l: string) => l.split("|").length;
  assert.ok(lines.every((l) => cols(l) === cols(lines[0]!)));
  const g = growthTable(runs).split("\n");
  assert.equal(g.length, 3);
  assert.match(g[2]!, /\| tsoperator \| 1000 → 10000 \| 10.00x \| 10.00x \|/);
});

test("timeRatio compares two peers' phase times at one size", () => {
  const runs = [run("tsoperator", 1000, 5000, 1), run("controller-runtime", 1000, 10_000, 1)];
  assert.equal(timeRatio(runs, "tsoperator", "controller-runtime", 1000, "w1b"), 0.5);
  assert.equal(timeRatio(runs, "tsoperator", "raw-client-go", 1000, "w1b"), undefined);
});

test("parseHeapLine reads the first number of a HEAP line only", () => {
  assert.deepEqual(parseHeapLine("HEAP 123 456"), { heapBytes: 123 });
  assert.deepEqual(parseHeapLine("HEAP 123"), { heapBytes: 123 });
  assert.equal(parseHeapLine("SYNCS 4"), undefined);
  assert.equal(parseHeapLine("HEAPS 1"), undefined);
});

test("parseScaleSizes: default 1,000 and 10,000, or a sorted list", () => {
  assert.deepEqual(parseScaleSizes(undefined), [1000, 10_000]);
  assert.deepEqual(parseScaleSizes("1000,200"), [200, 1000]);
  assert.throws(() => parseScaleSizes("a"));
});

test("parseCacheLine reads cache-heap.ts's line; cacheHeapTable shows the saving per object", () => {
  const plain = parseCacheLine("CACHE 4000 1000 5001000 90000000")!;
  assert.deepEqual(plain, { objects: 4000, heapBeforeBytes: 1000, heapAfterBytes: 5_001_000, rssBytes: 90_000_000 });
  assert.equal(parseCacheLine("HEAP 1 2"), undefined);
  assert.equal(cacheHeapPerObject(plain), 1250);
  const intern = { ...plain, heapAfterBytes: 4_001_000 };
  const table = cacheHeapTable([run("tsoperator", 1000, 1, 1, { cacheHeap: { plain, intern } }), run("c", 1000, 1, 1)]);
  assert.equal(table.split("\n").length, 3);
  assert.match(table, /\| 1000 \| 4000 \| 1\.22 KiB \| 0\.98 KiB \| 20 % \|/);
});

test("summarizeProfile sums self time per category and function (sample i lasts timeDeltas[i + 1])", () => {
  const frame = (functionName: string, url = "") => ({ functionName, url });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(idle)") },
      { id: 2, callFrame: frame("(garbage collector)") },
      { id: 3, callFrame: frame("parse") },
      { id: 4, callFrame: frame("apply", "file:///w/dist/src/cache/informer.js") },
      { id: 5, callFrame: frame("onData", "file:///w/node_modules/undici/lib/x.js") },
    ],
    samples: [1, 2, 3, 4, 5, 1],
    timeDeltas: [0, 1000, 2000, 3000, 4000, 5000],
  };
  const s = summarizeProfile(profile);
  assert.deepEqual(s.byCategory, { idle: 1, gc: 2, json: 3, tsoperator: 4, undici: 5 });
  assert.equal(s.totalMs, 15);
  assert.equal(s.topFunctions[0]!.ms, 5);
  assert.equal(categoryOf(frame("x", "node:internal/streams")), "node-internals");
});

test("runPlan: tsoperator at the largest P first, then the smaller sizes, then the others at the largest (raw up to rawMax)", () => {
  const peers = [
    { name: "tsoperator", kind: "operator" },
    { name: "controller-runtime", kind: "operator" },
    { name: "raw-client-go", kind: "raw" },
  ];
  const plan = runPlan([1000, 10_000], peers, 1000).map(({ P, peer }) => `${peer.name}@${P}`);
  assert.deepEqual(plan, [
    "tsoperator@10000",
    "tsoperator@1000",
    "controller-runtime@1000",
    "raw-client-go@1000",
    "controller-runtime@10000",
  ]);
  assert.equal(runPlan([1000, 10_000], peers, Number.POSITIVE_INFINITY).length, 6);
});
