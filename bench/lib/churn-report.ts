/**
 * What W5 publishes besides its JSON: the latency-vs-rate chart (bench/results/w5.svg: p50 and
 * p99 per peer against the rate, log scale, the 5 s bound drawn) and the Markdown tables of
 * bench/README.md "W5 churn capacity". Pure. Reads results as written to JSON too, where an
 * infinite latency (a change that never converged) is `null`.
 */
import type { ChurnResult, ChurnStep } from "./churn.js";
import { lineChartSvg, type ChartSeries } from "./line-chart.js";

const COLORS: Record<string, string> = {
  tsoperator: "#1f77b4",
  "controller-runtime": "#d62728",
  "raw-client-go": "#2ca02c",
  "raw-node": "#ff7f0e",
};

/** A latency as read back from JSON: null (never converged) becomes Infinity. */
const ms = (v: number | null | undefined) => (v === null || v === undefined ? Infinity : v);

/** The chart: per peer, p50 (dashed) and p99 (solid) in seconds against the rate, from the search and half-capacity steps. */
export function churnSvg(result: Pick<ChurnResult, "steps" | "parents" | "options">): string {
  const peers = [...new Set(result.steps.map((s) => s.peer))];
  const series: ChartSeries[] = peers.flatMap((peer) => {
    const steps = result.steps.filter((s) => s.peer === peer);
    const color = COLORS[peer] ?? "#9467bd";
    const pts = (f: (s: ChurnStep) => number) => steps.map((s): [number, number] => [s.rate, ms(f(s)) / 1000]);
    return [
      { label: `${peer} p99`, color, points: pts((s) => s.latency.p99) },
      { label: `${peer} p50`, color, dash: "5 4", points: pts((s) => s.latency.p50) },
    ];
  });
  const slo = result.options.search.sloMs / 1000;
  return lineChartSvg({
    title: `W5 churn: change latency vs rate (P=${result.parents}, ${result.options.durationMs / 1000} s per rate)`,
    xLabel: "changes per second (open loop, Poisson arrivals)",
    yLabel: "latency, patch returned -> converged (s)",
    series,
    hLines: [
      { y: slo, label: `p99 bound ${slo} s`, color: "#444" },
      { y: 1, label: "target at half capacity: p99 1 s", color: "#aaa" },
    ],
    logY: { min: 0.05, max: 60 },
    yTick: (v) => `${v} s`,
  });
}

const cell = (v: number | null | undefined) => (Number.isFinite(ms(v)) ? `${(ms(v) / 1000).toFixed(2)} s` : "∞");

/** Markdown: capacity per peer, then every measured rate (p50/p90/p99/max, unconverged, lateness, CPU, load average at its start). */
export function churnTables(result: Pick<ChurnResult, "steps" | "capacity" | "capped" | "options">): string {
  const slo = result.options.search.sloMs / 1000;
  const cr = result.capacity["controller-runtime"];
  const lines = [`| peer | capacity (p99 <= ${slo} s) | ÷ controller-runtime | p99 at half capacity |`, "|---|---|---|---|"];
  for (const [peer, cap] of Object.entries(result.capacity)) {
    const half = result.steps.find((s) => s.peer === peer && s.kind === "half");
    const capped = result.capped.includes(peer) ? " (search capped)" : "";
    const ratio = cr ? `${(cap / cr).toFixed(2)}x` : "—";
    lines.push(`| ${peer} | ${cap}/s${capped} | ${ratio} | ${half ? `${cell(half.latency.p99)} at ${half.rate}/s` : "—"} |`);
  }
  lines.push(
    "",
    "| peer | rate | step | changes | p50 | p90 | p99 | max | not converged | driver lateness p99 | patch p99 | CPU s: peer / apiserver / etcd / harness | machine busy | load avg |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  const sorted = [...result.steps].sort((a, b) => a.peer.localeCompare(b.peer) || a.rate - b.rate);
  for (const s of sorted) {
    const c = s.cpuMs;
    const cpu = [c.peer, c.apiServer, c.etcd, c.harness].map((v) => (v / 1000).toFixed(1)).join(" / ");
    const busy = c.machineBusy === undefined ? "—" : `${Math.round(c.machineBusy * 100)} %`;
    const load = s.loadavg?.before[0] === undefined ? "—" : s.loadavg.before[0].toFixed(1);
    lines.push(
      `| ${s.peer} | ${s.rate}/s | ${s.kind} | ${s.changes} | ${cell(s.latency.p50)} | ${cell(s.latency.p90)} | ${cell(s.latency.p99)} | ` +
        `${cell(s.latency.max)} | ${s.latency.unconverged} | ${s.lateness.p99} ms | ${cell(s.patch.p99)} | ${cpu} | ${busy} | ${load} |`,
    );
  }
  return lines.join("\n");
}
