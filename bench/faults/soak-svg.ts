/**
 * The soak's plot (docs/img/soak.svg), written by hand as SVG text (no plotting dependency):
 * RSS and heap used (MiB, left axis) and work-queue depth (right axis) over time (minutes), the
 * warm-up shaded and each marked moment (the API server restart) drawn as a dashed vertical line.
 * Pure: samples in, SVG string out.
 */
import type { SoakSample } from "./soak-stats.js";

/** A moment to mark on the plot. */
export interface SoakMark {
  /** Seconds since the soak's clock started. */
  t: number;
  label: string;
}

/** What to draw besides the samples. */
export interface SoakPlotOptions {
  title: string;
  /** Seconds of warm-up to shade. */
  warmupSeconds?: number;
  marks?: readonly SoakMark[];
  width?: number;
  height?: number;
}

const COLORS = { rss: "#1f77b4", heap: "#2ca02c", queue: "#d62728", grid: "#e5e5e5", axis: "#333", mark: "#7f7f7f" };

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A "nice" axis maximum at or above `max` (1, 2, 2.5 or 5 times a power of ten), and its tick step. */
export function niceScale(max: number, ticks = 5): { max: number; step: number } {
  if (!(max > 0)) return { max: 1, step: 1 / ticks };
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  return { max: Math.ceil(max / step - 1e-9) * step, step };
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** Renders the plot. Samples with a null heap or depth leave a gap in that line. */
export function soakSvg(samples: readonly SoakSample[], opts: SoakPlotOptions): string {
  const W = opts.width ?? 860;
  const H = opts.height ?? 400;
  const m = { left: 64, right: 64, top: 48, bottom: 72 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const tMax = niceScale(Math.max(60, ...samples.map((s) => s.t)) / 60, 10);
  const memMax = niceScale(Math.max(1, ...samples.map((s) => Math.max(s.rssMiB, s.heapMiB ?? 0))));
  const qMax = niceScale(Math.max(1, ...samples.map((s) => s.queueDepth ?? 0)));
  const x = (tSec: number) => m.left + (tSec / 60 / tMax.max) * pw;
  const yMem = (v: number) => m.top + ph - (v / memMax.max) * ph;
  const yQ = (v: number) => m.top + ph - (v / qMax.max) * ph;
  const p = (n: number) => n.toFixed(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`,
  );
  if (opts.warmupSeconds) {
    const wx = Math.min(x(opts.warmupSeconds), m.left + pw);
    out.push(`<rect x="${m.left}" y="${m.top}" width="${p(wx - m.left)}" height="${ph}" fill="#f3f3f3"/>`);
    out.push(`<text x="${p((m.left + wx) / 2)}" y="${m.top + 14}" text-anchor="middle" fill="${COLORS.mark}">warm-up</text>`);
  }
  // Grid and axes: memory ticks on the left, queue ticks on the right, minutes below.
  for (let v = 0; v <= memMax.max + 1e-9; v += memMax.step) {
    const y = p(yMem(v));
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" dy="4" text-anchor="end" fill="${COLORS.axis}">${fmt(v)}</text>`);
  }
  for (let v = 0; v <= qMax.max + 1e-9; v += qMax.step) {
    out.push(`<text x="${m.left + pw + 6}" y="${p(yQ(v))}" dy="4" fill="${COLORS.queue}">${fmt(v)}</text>`);
  }
  for (let v = 0; v <= tMax.max + 1e-9; v += tMax.step) {
    const xx = p(m.left + (v / tMax.max) * pw);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="${COLORS.axis}"/>`);
    out.push(`<text x="${xx}" y="${m.top + ph + 18}" text-anchor="middle" fill="${COLORS.axis}">${fmt(v)}</text>`);
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="${COLORS.axis}"/>`,
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle">minutes</text>`,
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">MiB</text>`,
    `<text transform="translate(${W - 12} ${m.top + ph / 2}) rotate(90)" text-anchor="middle" fill="${COLORS.queue}">queue depth</text>`,
  );
  for (const mark of opts.marks ?? []) {
    const xx = p(x(mark.t));
    out.push(`<line x1="${xx}" x2="${xx}" y1="${m.top}" y2="${m.top + ph}" stroke="${COLORS.mark}" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${xx}" y="${m.top - 6}" text-anchor="middle" fill="${COLORS.mark}">${escapeXml(mark.label)}</text>`);
  }
  out.push(polyline(samples, (s) => s.queueDepth, x, yQ, COLORS.queue, 1));
  out.push(polyline(samples, (s) => s.heapMiB, x, yMem, COLORS.heap, 1.5));
  out.push(polyline(samples, (s) => s.rssMiB, x, yMem, COLORS.rss, 2));
  const legend: Array<[string, string]> = [
    ["RSS (MiB)", COLORS.rss],
    ["heap used (MiB)", COLORS.heap],
    ["work-queue depth", COLORS.queue],
  ];
  // Below the plot, where no line can cross it.
  legend.forEach(([label, color], i) => {
    const lx = m.left + i * 160;
    out.push(`<line x1="${lx}" x2="${lx + 20}" y1="${H - 14}" y2="${H - 14}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 25}" y="${H - 10}">${escapeXml(label)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** One polyline per run of non-null values (a null leaves a gap). */
function polyline(
  samples: readonly SoakSample[],
  value: (s: SoakSample) => number | null,
  x: (t: number) => number,
  y: (v: number) => number,
  color: string,
  width: number,
): string {
  const runs: string[][] = [[]];
  for (const s of samples) {
    const v = value(s);
    if (v === null) {
      if (runs.at(-1)!.length) runs.push([]);
      continue;
    }
    runs.at(-1)!.push(`${x(s.t).toFixed(1)},${y(v).toFixed(1)}`);
  }
  return runs
    .filter((r) => r.length > 0)
    .map((r) => `<polyline fill="none" stroke="${color}" stroke-width="${width}" points="${r.join(" ")}"/>`)
    .join("\n");
}
