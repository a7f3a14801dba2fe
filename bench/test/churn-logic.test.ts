/**
 * Unit tests of W5's pure parts (no server, no timing assertions): the seeded Poisson schedule,
 * change payloads and the convergence check, percentiles with never-converged changes, the
 * capacity search, the option parsing, and the chart and tables.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { takeW5Args } from "../lib/churn.js";
import {
  arrivalSchedule,
  capacityOf,
  changePayload,
  changeSeqOf,
  convergedFor,
  DEFAULT_SEARCH,
  latencyStats,
  nextRate,
  percentile,
  seededRandom,
  type RateStep,
  type SearchOptions,
} from "../lib/churn-plan.js";
import { churnSvg, churnTables } from "../lib/churn-report.js";
import { logTicks } from "../lib/line-chart.js";

test("arrivalSchedule is deterministic per seed, ordered, inside the window, and about rate x duration long", () => {
  const a = arrivalSchedule(50, 60_000, 1000, 7);
  assert.deepEqual(a, arrivalSchedule(50, 60_000, 1000, 7));
  assert.notDeepEqual(a, arrivalSchedule(50, 60_000, 1000, 8));
  for (let i = 1; i < a.length; i++) assert.ok(a[i]!.atMs >= a[i - 1]!.atMs);
  assert.ok(a.every((x) => x.atMs > 0 && x.atMs < 60_000 && x.parentIndex >= 0 && x.parentIndex < 1000 && Number.isInteger(x.parentIndex)));
  // 3000 expected; a Poisson count's standard deviation is ~55: 5 sigma either way.
  assert.ok(a.length > 2725 && a.length < 3275, `${a.length} arrivals`);
  const gaps = a.slice(1).map((x, i) => x.atMs - a[i]!.atMs);
  const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  assert.ok(mean > 18 && mean < 22, `mean gap ${mean} ms`);
  // Exponential gaps: about 1/e of them are longer than the mean.
  const longer = gaps.filter((g) => g > 20).length / gaps.length;
  assert.ok(longer > 0.32 && longer < 0.42, `${longer} of the gaps exceed the mean`);
});

test("arrivalSchedule is empty for a zero rate, window or parent count", () => {
  assert.deepEqual(arrivalSchedule(0, 1000, 10, 1), []);
  assert.deepEqual(arrivalSchedule(10, 0, 10, 1), []);
  assert.deepEqual(arrivalSchedule(10, 1000, 0, 1), []);
});

test("seededRandom stays in [0, 1)", () => {
  const r = seededRandom(1);
  for (let i = 0; i < 10_000; i++) {
    const v = r();
    assert.ok(v >= 0 && v < 1);
  }
});

test("changePayload and changeSeqOf round-trip, the upper-cased copy too; the initial payload is no change", () => {
  assert.equal(changeSeqOf(changePayload("p-00042", 17)), 17);
  assert.equal(changeSeqOf(changePayload("p-00042", 17).toUpperCase()), 17);
  assert.equal(changeSeqOf("p-00042-first"), -1);
  assert.equal(changeSeqOf(undefined), -1);
});

const view = (observed: number | undefined, seqs: [number, number, number]) => ({
  parent: { metadata: { generation: 9 }, status: observed === undefined ? undefined : { observedGeneration: observed } },
  configMapA: { data: { payload: changePayload("p", seqs[0]) } },
  configMapB: { data: { "payload-upper": changePayload("p", seqs[1]).toUpperCase() } },
  service: { metadata: { annotations: { "bench.tsoperator.dev/payload": changePayload("p", seqs[2]) } } },
});

test("convergedFor needs the status at the change's generation or later and every child at this change or a later one", () => {
  const change = { seq: 3, generation: 5 };
  assert.equal(convergedFor(view(5, [3, 3, 3]), change), true);
  assert.equal(convergedFor(view(6, [4, 3, 5]), change), true, "a later change supersedes this one");
  assert.equal(convergedFor(view(4, [3, 3, 3]), change), false, "status not yet at the generation");
  assert.equal(convergedFor(view(undefined, [3, 3, 3]), change), false);
  assert.equal(convergedFor(view(5, [3, 2, 3]), change), false, "one child still at the older payload");
  assert.equal(convergedFor({ parent: view(5, [3, 3, 3]).parent }, change), false, "children not seen");
});

test("convergedFor orders changes as the API server applied them: a change whose patch landed first is superseded by an older one that landed later", () => {
  // Two open-loop patches to one parent in flight at once can be applied out of send order: change 4
  // (sent later) produced generation 4, change 3 (sent earlier) generation 5. The parent ends at change 3's
  // payload, which supersedes change 4; change 4 must count as converged, or the harness waits forever.
  const generationOf = (seq: number) => ({ 3: 5, 4: 4 })[seq];
  assert.equal(convergedFor(view(5, [3, 3, 3]), { seq: 4, generation: 4, generationOf }), true);
  assert.equal(convergedFor(view(4, [4, 4, 4]), { seq: 3, generation: 5, generationOf }), false, "status not at 5 yet");
  assert.equal(convergedFor(view(5, [4, 4, 4]), { seq: 3, generation: 5, generationOf }), false, "children at the payload of generation 4");
});

test("percentile is nearest-rank", () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 0.5), 50);
  assert.equal(percentile(v, 0.99), 99);
  assert.equal(percentile(v, 1), 100);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test("latencyStats counts never-converged changes as infinitely late instead of dropping them", () => {
  const values = [...Array.from({ length: 98 }, () => 100), Infinity, Infinity];
  const s = latencyStats(values);
  assert.equal(s.count, 100);
  assert.equal(s.unconverged, 2);
  assert.equal(s.p50, 100);
  assert.equal(s.p99, Infinity);
  assert.equal(s.max, Infinity);
  assert.equal(s.mean, 100);
  assert.equal(latencyStats([...Array.from({ length: 99 }, () => 100), Infinity]).p99, 100, "1 in 100 stays above p99");
});

/** Runs the search against a peer whose p99 is fine up to `capacity` and infinite above. */
function simulate(capacity: number, opts: SearchOptions = DEFAULT_SEARCH): RateStep[] {
  const steps: RateStep[] = [];
  for (let r = nextRate(steps, opts); r !== undefined; r = nextRate(steps, opts)) {
    steps.push({ rate: r, p99Ms: r <= capacity ? 1000 : Infinity });
    assert.ok(steps.length <= opts.maxSteps);
  }
  return steps;
}

test("nextRate steps up by the factor, then bisects to the resolution", () => {
  const steps = simulate(100, { ...DEFAULT_SEARCH, maxSteps: 20 });
  assert.deepEqual(
    steps.slice(0, 4).map((s) => s.rate),
    [20, 40, 80, 160],
  );
  const cap = capacityOf(steps, DEFAULT_SEARCH.sloMs);
  assert.ok(cap <= 100 && cap >= 100 / DEFAULT_SEARCH.resolution, `capacity ${cap}`);
  const failing = Math.min(...steps.filter((s) => s.p99Ms > DEFAULT_SEARCH.sloMs).map((s) => s.rate));
  assert.ok(failing / cap <= DEFAULT_SEARCH.resolution);
});

test("nextRate stops at maxSteps and steps down when the first rate fails", () => {
  assert.equal(simulate(1000, { ...DEFAULT_SEARCH, maxSteps: 3 }).length, 3);
  const down = simulate(6, { ...DEFAULT_SEARCH, maxSteps: 20 });
  assert.deepEqual(
    down.slice(0, 3).map((s) => s.rate),
    [20, 10, 5],
  );
  assert.ok(capacityOf(down, 5000) >= 5 && capacityOf(down, 5000) <= 6);
  const none = simulate(0, { ...DEFAULT_SEARCH, maxSteps: 20 });
  assert.equal(capacityOf(none, 5000), 0);
  assert.ok(none.every((s) => s.rate >= DEFAULT_SEARCH.minRate));
});

test("nextRate stops at maxRate, and a noisy pass above a failure moves the bracket up", () => {
  const capped = simulate(1e9, { ...DEFAULT_SEARCH, maxRate: 100, maxSteps: 20 });
  assert.equal(Math.max(...capped.map((s) => s.rate)), 100);
  const noisy: RateStep[] = [
    { rate: 20, p99Ms: 100 },
    { rate: 40, p99Ms: Infinity },
    { rate: 30, p99Ms: 100 },
    { rate: 35, p99Ms: 6000 },
  ];
  assert.equal(capacityOf(noisy, 5000), 30);
  assert.equal(nextRate(noisy, { ...DEFAULT_SEARCH, resolution: 1.1 }), 33);
  assert.equal(nextRate([{ rate: 20, p99Ms: 5000 }]), 40, "p99 equal to the bound meets it");
});

test("takeW5Args takes only the W5 options and leaves the rest", () => {
  const { w5, rest } = takeW5Args(["--parents", "100", "--w5-rates", "5,10", "--w5-duration", "10", "--peers", "a,b", "--w5-no-half"]);
  assert.deepEqual(rest, ["--parents", "100", "--peers", "a,b"]);
  assert.deepEqual(w5?.rates, [5, 10]);
  assert.equal(w5?.durationMs, 10_000);
  assert.equal(w5?.halfCapacity, false);
  assert.equal(takeW5Args(["--quick"]).w5, undefined);
  assert.equal(takeW5Args(["--w5"]).w5?.search.startRate, DEFAULT_SEARCH.startRate);
});

test("logTicks gives 1-2-5 ticks within the range", () => {
  assert.deepEqual(logTicks(0.05, 60), [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50]);
});

const stats = (p50: number, p99: number | null) => ({ count: 10, unconverged: p99 === null ? 1 : 0, p50, p90: p50, p99, max: p99 }) as any;
const step = (peer: string, rate: number, p99: number | null, kind = "search") =>
  ({
    peer,
    kind,
    rate,
    changes: rate * 10,
    latency: stats(200, p99),
    lateness: stats(1, 2),
    patch: stats(10, 20),
    cpuMs: { peer: 1000, apiServer: 2000, etcd: 500, harness: 300, machineBusy: 0.9 },
  }) as any;

test("churnSvg draws p50 and p99 per peer and the bound; never-converged (null) points sit on the top edge", () => {
  const result = {
    parents: 100,
    options: { durationMs: 30_000, search: DEFAULT_SEARCH } as any,
    steps: [step("tsoperator", 20, 800), step("tsoperator", 40, null), step("controller-runtime", 20, 3000)],
  };
  const svg = churnSvg(result);
  assert.ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"));
  for (const label of ["tsoperator p99", "tsoperator p50", "controller-runtime p99", "p99 bound 5 s"])
    assert.ok(svg.includes(label), label);
  assert.ok(svg.includes("<path d="), "an open triangle for the never-converged p99");
  assert.ok(!svg.includes("NaN") && !svg.includes("Infinity"));
});

test("churnTables lists capacity with the ratio to controller-runtime and p99 at half capacity", () => {
  const md = churnTables({
    capacity: { tsoperator: 60, "controller-runtime": 40 },
    capped: [],
    options: { search: DEFAULT_SEARCH } as any,
    steps: [step("tsoperator", 60, 4000), step("tsoperator", 30, 500, "half"), step("controller-runtime", 40, 4500)],
  });
  assert.match(md, /\| tsoperator \| 60\/s \| 1\.50x \| 0\.50 s at 30\/s \|/);
  assert.match(md, /\| controller-runtime \| 40\/s \| 1\.00x \| — \|/);
  assert.ok(md.includes("| tsoperator | 30/s | half |"));
});
