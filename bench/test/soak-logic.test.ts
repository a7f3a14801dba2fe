/**
 * Unit tests of the soak's pure parts (no server): the least-squares slope and the verdicts drawn
 * from samples, the Prometheus text reader, and the hand-written SVG plot.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { linearFit, quantile, type SoakSample, soakStats, soakVerdict, sumMetric } from "../faults/soak-stats.js";
import { escapeXml, niceScale, soakSvg } from "../faults/soak-svg.js";

const sample = (t: number, rssMiB: number, queueDepth: number | null = 0, heapMiB: number | null = rssMiB / 2): SoakSample => ({
  t,
  rssMiB,
  heapMiB,
  queueDepth,
  pending: 0,
});

test("linearFit finds slope and intercept of a line, and 0 for no spread in x", () => {
  const fit = linearFit([
    [0, 1],
    [1, 3],
    [2, 5],
    [3, 7],
  ]);
  assert.equal(fit.slope, 2);
  assert.equal(fit.intercept, 1);
  assert.equal(fit.n, 4);
  assert.equal(linearFit([[5, 1]]).slope, 0);
  assert.equal(linearFit([]).slope, 0);
  // Symmetric noise around a flat line has no slope.
  assert.equal(
    linearFit([
      [0, 10],
      [1, 12],
      [2, 12],
      [3, 10],
    ]).slope,
    0,
  );
});

test("quantile is the nearest-rank value", () => {
  assert.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
  assert.equal(quantile([5, 1, 3, 2, 4], 0.95), 5);
  assert.equal(quantile([], 0.9), 0);
});

test("soakStats leaves the warm-up out of the RSS slope and calls a flat run flat", () => {
  // Warm-up: RSS climbs from 100 to 200 MiB in the first 5 minutes; then it wobbles around 200.
  const samples: SoakSample[] = [];
  for (let t = 0; t < 300; t += 10) samples.push(sample(t, 100 + t / 3, 50));
  for (let t = 300; t <= 1200; t += 10) samples.push(sample(t, 200 + (t % 20 === 0 ? 2 : -2), t === 1200 ? 0 : 3));
  const stats = soakStats(samples, { warmupSeconds: 300, bound: 500 });
  assert.ok(Math.abs(stats.rss.slopeMiBPerMin) < 0.01, `slope ${stats.rss.slopeMiBPerMin}`);
  assert.equal(stats.rssFlat, true);
  assert.equal(stats.rss.peakMiB, 202);
  assert.equal(stats.rss.minMiB, 198);
  assert.equal(stats.queue.max, 50); // the warm-up's backlog counts for the bound
  assert.equal(stats.queue.p95, 3);
  assert.equal(stats.queue.last, 0);
  assert.equal(stats.queueBounded, true);
  assert.match(soakVerdict(stats), /^RSS flat after the 5-min warm-up: slope [+-]0\.00 MiB\/min .* Queue depth bounded: at most 50/);
});

test("soakStats flags a leak (RSS growing after warm-up) and a queue that does not drain", () => {
  const samples: SoakSample[] = [];
  // 1 MiB per minute for 15 minutes after warm-up: 15 MiB, more than 10 MiB and 5 % of ~210.
  for (let t = 0; t <= 1200; t += 10) samples.push(sample(t, 200 + t / 60, t >= 600 ? 40 : 0));
  const stats = soakStats(samples, { warmupSeconds: 300, bound: 500 });
  assert.equal(stats.rss.slopeMiBPerMin, 1);
  assert.equal(stats.rss.trendGrowthMiB, 15);
  assert.equal(stats.rssFlat, false);
  assert.equal(stats.queueBounded, false); // 40 keys still waiting at the end
  assert.match(soakVerdict(stats), /RSS NOT flat .* Queue depth NOT bounded/);
  // Over the bound is not bounded either.
  assert.equal(soakStats([sample(0, 100, 900), sample(10, 100, 0)], { warmupSeconds: 0, bound: 500 }).queueBounded, false);
});

test("soakStats also fits the RSS from a settled moment on (a step at a restart, flat after it)", () => {
  const samples: SoakSample[] = [];
  for (let t = 0; t <= 1200; t += 10) samples.push(sample(t, t < 600 ? 160 + t / 60 : 176 + (t % 20 === 0 ? 0.5 : -0.5)));
  const stats = soakStats(samples, { warmupSeconds: 300, bound: 500, settledFromSeconds: 660 });
  assert.equal(stats.rssFlat, false, "the whole post-warm-up window has the rise and the step");
  assert.equal(stats.rss.settled?.flat, true);
  assert.ok(Math.abs(stats.rss.settled!.slopeMiBPerMin) < 0.01);
  assert.equal(stats.rss.settled?.minMiB, 175.5);
  assert.match(soakVerdict(stats), /From minute 11\.0 on: flat, slope [+-]0\.00 MiB\/min/);
  assert.equal(soakStats(samples, { warmupSeconds: 300, bound: 500 }).rss.settled, undefined);
});

test("soakStats skips unread metrics (null heap or depth)", () => {
  const stats = soakStats([sample(0, 100, null, null), sample(60, 100, 4, 50), sample(120, 100, 0, 50)], { warmupSeconds: 0, bound: 10 });
  assert.equal(stats.queue.max, 4);
  assert.equal(stats.heap.meanMiB, 50);
  assert.equal(stats.heap.slopeMiBPerMin, 0);
});

test("sumMetric sums every series of one metric and ignores metrics that share its prefix", () => {
  const text = [
    "# HELP workqueue_depth Current depth of workqueue",
    "# TYPE workqueue_depth gauge",
    'workqueue_depth{name="a"} 3',
    'workqueue_depth{name="b"} 4',
    "workqueue_depth_other 100",
    "nodejs_heap_size_used_bytes 1048576",
  ].join("\n");
  assert.equal(sumMetric(text, "workqueue_depth"), 7);
  assert.equal(sumMetric(text, "nodejs_heap_size_used_bytes"), 1048576);
  assert.equal(sumMetric(text, "process_resident_memory_bytes"), undefined);
});

test("niceScale rounds an axis up to 1, 2, 2.5 or 5 times a power of ten", () => {
  assert.deepEqual(niceScale(183), { max: 200, step: 50 });
  assert.deepEqual(niceScale(9), { max: 10, step: 2 });
  assert.deepEqual(niceScale(0), { max: 1, step: 0.2 });
  const { max, step } = niceScale(1234);
  assert.ok(max >= 1234 && Number.isInteger(max / step));
});

test("soakSvg draws RSS, heap and queue lines, the warm-up and the marks, and escapes text", () => {
  const samples = [sample(0, 120, 10), sample(60, 150, 0), sample(120, 151, null), sample(180, 150, 2)];
  const svg = soakSvg(samples, {
    title: "soak <500 parents> & more",
    warmupSeconds: 60,
    marks: [{ t: 90, label: "API server SIGKILL" }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  assert.ok(svg.includes("soak &lt;500 parents&gt; &amp; more"));
  assert.ok(svg.includes(">warm-up</text>"));
  assert.ok(svg.includes(">API server SIGKILL</text>"));
  assert.ok(svg.includes('stroke-dasharray="5 4"'));
  const polylines = svg.match(/<polyline [^>]*points="([^"]*)"/g) ?? [];
  // The queue line is cut in two by the unread sample; heap and RSS are one line each.
  assert.equal(polylines.length, 4);
  for (const line of polylines) {
    for (const point of /points="([^"]*)"/.exec(line)![1]!.split(" ")) {
      const [x, y] = point.split(",").map(Number);
      assert.ok(x! >= 0 && x! <= 860 && y! >= 0 && y! <= 400, `point ${point} inside the plot`);
    }
  }
  // Balanced tags: every element is self-closed or closed.
  const opened = (svg.match(/<(svg|text)[\s>]/g) ?? []).length;
  const closed = (svg.match(/<\/(svg|text)>/g) ?? []).length;
  assert.equal(opened, closed);
  assert.equal(escapeXml(`"a' <b>`), "&quot;a&apos; &lt;b&gt;");
});
