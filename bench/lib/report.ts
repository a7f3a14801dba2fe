/**
 * Turns per-run figures into what `npm run bench` publishes: medians and ratios (latest.json),
 * a Markdown table (between markers in bench/README.md) and the W1 convergence chart
 * (bench/results/w1.svg, hand-written SVG).
 */
import type { PeerRunResult, PhaseResult } from "./phases.js";
import type { TimelinePoint } from "./observer.js";

/** Median figures of one peer. */
export interface PeerSummary {
  peer: string;
  runs: number;
  failures: number;
  w1Ms?: number;
  w2Ms?: number;
  w3Ms?: number;
  w4Ms?: number;
  w1Writes?: number;
  w2Writes?: number;
  w3Writes?: number;
  w4Writes?: number;
  /** Peer CPU over all four phases, ms. */
  cpuMs?: number;
  /** kube-apiserver CPU over all four phases, ms. */
  apiServerCpuMs?: number;
  rssAfterW1Mb?: number;
  peakRssMb?: number;
  /** (RSS after W1 - RSS when ready) / objects a cache holds (P parents + 3P children), KiB. */
  rssPerObjectKb?: number;
}

const PHASES = ["w1", "w2", "w3", "w4"] as const;

/** Median of the defined numbers (undefined when none). */
export function median(values: Array<number | undefined>): number | undefined {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

const round = (x: number | undefined, digits = 0) => (x === undefined ? undefined : Number(x.toFixed(digits)));

/** Medians per peer, over the runs that did not fail. */
export function summarize(runs: PeerRunResult[], parents: number): PeerSummary[] {
  const peers = [...new Set(runs.map((r) => r.peer))];
  return peers.map((peer) => {
    const all = runs.filter((r) => r.peer === peer);
    const ok = all.filter((r) => !r.error);
    const s: PeerSummary = { peer, runs: all.length, failures: all.length - ok.length };
    for (const ph of PHASES) {
      s[`${ph}Ms`] = round(median(ok.map((r) => r[ph]?.ms)));
      s[`${ph}Writes`] = round(median(ok.map((r) => r[ph]?.writes)));
    }
    const sum = (r: PeerRunResult, f: (p: PhaseResult) => number) => PHASES.reduce((a, ph) => a + (r[ph] ? f(r[ph]!) : 0), 0);
    s.cpuMs = round(median(ok.map((r) => sum(r, (p) => p.peerCpuMs))));
    s.apiServerCpuMs = round(median(ok.map((r) => sum(r, (p) => p.apiServerCpuMs))));
    const rss = median(ok.map((r) => r.rssAfterW1Bytes));
    s.rssAfterW1Mb = round(rss === undefined ? undefined : rss / 2 ** 20, 1);
    const peak = median(ok.map((r) => r.peakRssBytes));
    s.peakRssMb = round(peak === undefined ? undefined : peak / 2 ** 20, 1);
    const growth = median(
      ok.map((r) => (r.rssAfterW1Bytes !== undefined && r.rssReadyBytes !== undefined ? r.rssAfterW1Bytes - r.rssReadyBytes : undefined)),
    );
    s.rssPerObjectKb = round(growth === undefined ? undefined : growth / 1024 / (parents * 4), 2);
    return s;
  });
}

/** Ratios of each peer's median times to a reference peer's (e.g. controller-runtime). */
export function ratios(summaries: PeerSummary[], reference: string): Record<string, Record<string, number | undefined>> {
  const ref = summaries.find((s) => s.peer === reference);
  const out: Record<string, Record<string, number | undefined>> = {};
  if (!ref) return out;
  for (const s of summaries) {
    out[s.peer] = {};
    for (const ph of PHASES) {
      const a = s[`${ph}Ms`];
      const b = ref[`${ph}Ms`];
      out[s.peer]![ph] = a !== undefined && b ? round(a / b, 2) : undefined;
    }
  }
  return out;
}

const cell = (x: number | undefined, unit = "") => (x === undefined ? "—" : `${x}${unit}`);

/** The Markdown results table. */
export function markdownTable(summaries: PeerSummary[], header: string): string {
  const lines = [
    header,
    "",
    "| peer | W1 fan-out | W2 no-op resync | W3 update | W4 delete | writes W1/W2/W3/W4 | peer CPU | apiserver CPU | RSS after W1 | peak RSS | RSS growth per object |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const s of summaries) {
    const writes = [s.w1Writes, s.w2Writes, s.w3Writes, s.w4Writes].map((w) => cell(w)).join(" / ");
    const secs = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);
    lines.push(
      `| ${s.peer}${s.failures ? ` (${s.failures} failed)` : ""} | ${secs(s.w1Ms)} | ${secs(s.w2Ms)} | ${secs(s.w3Ms)} | ${secs(s.w4Ms)} | ${writes} | ${secs(s.cpuMs)} | ${secs(s.apiServerCpuMs)} | ${cell(s.rssAfterW1Mb, " MB")} | ${cell(s.peakRssMb, " MB")} | ${cell(s.rssPerObjectKb, " KiB")} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The issue's targets side by side: each peer's median times as a multiple of the reference
 * peers' (e.g. tsoperator / controller-runtime), and memory growth per object likewise.
 */
export function ratioTable(summaries: PeerSummary[], subject: string, references: string[]): string {
  const s = summaries.find((x) => x.peer === subject);
  if (!s) return "";
  const lines = [`| ${subject} ÷ | W1 | W2 | W3 | W4 | writes W1/W2/W3 | RSS growth per object |`, "|---|---|---|---|---|---|---|"];
  const r = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? "—" : `${(a / b).toFixed(2)}x`);
  for (const name of references) {
    const ref = summaries.find((x) => x.peer === name);
    if (!ref) continue;
    const writes = [r(s.w1Writes, ref.w1Writes), r(s.w2Writes, ref.w2Writes), r(s.w3Writes, ref.w3Writes)].join(" / ");
    lines.push(
      `| ${name} | ${r(s.w1Ms, ref.w1Ms)} | ${r(s.w2Ms, ref.w2Ms)} | ${r(s.w3Ms, ref.w3Ms)} | ${r(s.w4Ms, ref.w4Ms)} | ${writes} | ${r(s.rssPerObjectKb, ref.rssPerObjectKb)} |`,
    );
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

/** Replaces the text between `<!-- bench:results:start -->` and `<!-- bench:results:end -->`. */
export function replaceBetweenMarkers(readme: string, content: string): string {
  const start = "<!-- bench:results:start -->";
  const end = "<!-- bench:results:end -->";
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) return `${readme.trimEnd()}\n\n${start}\n${content}\n${end}\n`;
  return `${readme.slice(0, i + start.length)}\n${content}\n${readme.slice(j)}`;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/** Line chart: parents converged over time, one line per peer. */
export function convergenceSvg(series: Array<{ peer: string; timeline: TimelinePoint[] }>, parents: number, title: string): string {
  const W = 720,
    H = 400,
    L = 60,
    R = 170,
    T = 40,
    B = 50;
  const maxMs = Math.max(1, ...series.flatMap((s) => s.timeline.map((p) => p[0])));
  const x = (ms: number) => L + ((W - L - R) * ms) / maxMs;
  const y = (n: number) => H - B - ((H - T - B) * n) / Math.max(1, parents);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const ms = (maxMs * i) / 5;
    const n = Math.round((parents * i) / 5);
    out.push(`<text x="${x(ms).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${(ms / 1000).toFixed(1)} s</text>`);
    out.push(`<text x="${L - 6}" y="${(y(n) + 4).toFixed(1)}" text-anchor="end">${n}</text>`);
    out.push(`<line x1="${L}" y1="${y(n).toFixed(1)}" x2="${W - R}" y2="${y(n).toFixed(1)}" stroke="#ddd"/>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">time since the first parent was created</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    // At most ~400 points per line: the chart does not need every event.
    const step = Math.max(1, Math.floor(s.timeline.length / 400));
    const pts = s.timeline.filter((_, k) => k % step === 0 || k === s.timeline.length - 1);
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([ms, n]) => `${x(ms).toFixed(1)},${y(n).toFixed(1)}`).join(" ")}"/>`,
    );
    out.push(`<rect x="${W - R + 15}" y="${T + i * 20}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${W - R + 32}" y="${T + i * 20 + 10}">${esc(s.peer)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
