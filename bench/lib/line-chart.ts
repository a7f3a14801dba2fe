/**
 * A small line chart as hand-written SVG (no plotting dependency): series of (x, y) points with
 * markers, a linear x axis, a linear or logarithmic y axis, and horizontal reference lines (a
 * bound, a target). Points above the y range (or infinite) are drawn on the top edge as open
 * triangles, so a value off the chart still shows. Pure: data in, SVG string out. Reuses the
 * soak plot's axis scale and escaping (bench/faults/soak-svg.ts).
 */
import { escapeXml, niceScale } from "../faults/soak-svg.js";

/** One line of the chart. */
export interface ChartSeries {
  label: string;
  color: string;
  /** SVG stroke-dasharray, e.g. "6 4" (solid when absent). */
  dash?: string;
  /** (x, y) points; y may be Infinity or above the axis (drawn on the top edge). */
  points: Array<[x: number, y: number]>;
}

/** A horizontal reference line. */
export interface ChartLine {
  y: number;
  label: string;
  color?: string;
}

/** What to draw. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  hLines?: readonly ChartLine[];
  /** Logarithmic y axis over [min, max] (both > 0); linear from 0 to a nice maximum when absent. */
  logY?: { min: number; max: number };
  /** Formats a y tick (default: the number). */
  yTick?: (y: number) => string;
  width?: number;
  height?: number;
}

/** Ticks of a log axis: 1, 2 and 5 times each power of ten within [min, max]. */
export function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
    }
  }
  return out;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(3))));

/** Renders the chart (legend below the plot). */
export function lineChartSvg(opts: LineChartOptions): string {
  const W = opts.width ?? 760;
  const H = opts.height ?? 420;
  const m = { left: 64, right: 24, top: 44, bottom: 60 + 18 * Math.ceil(opts.series.length / 3) };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = opts.series.flatMap((s) => s.points.map((p) => p[0]));
  const xScale = niceScale(Math.max(1, ...xs));
  const finiteYs = opts.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const yLin = niceScale(Math.max(1e-9, ...finiteYs, ...(opts.hLines ?? []).map((l) => l.y)));
  const yMax = opts.logY ? opts.logY.max : yLin.max;
  const yMin = opts.logY ? opts.logY.min : 0;
  const x = (v: number) => m.left + (v / xScale.max) * pw;
  const yFrac = (v: number) =>
    opts.logY ? (Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (v - yMin) / (yMax - yMin);
  const y = (v: number) => m.top + ph - Math.min(1, Math.max(0, yFrac(Math.max(v, opts.logY ? yMin : 0)))) * ph;
  const p = (n: number) => n.toFixed(1);
  const tick = opts.yTick ?? fmt;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`,
  ];
  const yTicks = opts.logY ? logTicks(yMin, yMax) : Array.from({ length: Math.round(yMax / yLin.step) + 1 }, (_, i) => i * yLin.step);
  for (const v of yTicks) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${p(y(v))}" y2="${p(y(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${p(y(v))}" dy="4" text-anchor="end">${escapeXml(tick(v))}</text>`);
  }
  for (let v = 0; v <= xScale.max + 1e-9; v += xScale.step) {
    out.push(`<line x1="${p(x(v))}" x2="${p(x(v))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${p(x(v))}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(v)}</text>`);
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${m.top + ph + 36}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`,
  );
  for (const line of opts.hLines ?? []) {
    const color = line.color ?? "#7f7f7f";
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${p(y(line.y))}" y2="${p(y(line.y))}" stroke="${color}" stroke-dasharray="8 4"/>`,
    );
    out.push(`<text x="${m.left + pw - 4}" y="${p(y(line.y) - 5)}" text-anchor="end" fill="${color}">${escapeXml(line.label)}</text>`);
  }
  for (const s of opts.series) {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map(([a, b]) => `${p(x(a))},${p(y(b))}`).join(" ")}"/>`,
    );
    for (const [a, b] of pts) {
      if (Number.isFinite(b) && b <= yMax) out.push(`<circle cx="${p(x(a))}" cy="${p(y(b))}" r="3" fill="${s.color}"/>`);
      else {
        const cx = x(a);
        const top = m.top;
        out.push(
          `<path d="M${p(cx - 5)},${p(top + 8)} L${p(cx)},${p(top)} L${p(cx + 5)},${p(top + 8)} Z" fill="#fff" stroke="${s.color}"/>`,
        );
      }
    }
  }
  opts.series.forEach((s, i) => {
    const lx = m.left + (i % 3) * 230;
    const ly = H - 14 - 18 * (Math.ceil(opts.series.length / 3) - 1 - Math.floor(i / 3));
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 30}" y="${ly}">${escapeXml(s.label)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
