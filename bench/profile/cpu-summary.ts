/**
 * Summarizes a V8 `.cpuprofile` (written by `node --cpu-prof`, e.g. the scale run's
 * `BENCH_SCALE_CPU_PROF=1`): self time by category (idle, GC, JSON, undici, tsoperator, client-node,
 * Node internals, other) and the functions with the most self time. Tells whether an operator was
 * busy (CPU-bound) or waiting (bound elsewhere).
 *
 *   node dist/bench/profile/cpu-summary.js <file.cpuprofile> [more files ...]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The parts of a `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber?: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self time (ms) per category and per function, and the profile's length. */
export interface CpuSummary {
  totalMs: number;
  byCategory: Record<string, number>;
  topFunctions: Array<{ name: string; ms: number }>;
}

/** The category of a call frame. */
export function categoryOf(frame: { functionName: string; url: string }): string {
  const { functionName: f, url } = frame;
  if (f === "(idle)") return "idle";
  if (f === "(garbage collector)") return "gc";
  if (f === "(program)") return "program";
  if (url === "" && (f === "parse" || f === "stringify")) return "json";
  if (url.includes("/undici/")) return "undici";
  if (url.includes("@kubernetes/client-node")) return "client-node";
  if (url.includes("/dist/src/") || url.includes("/dist/bench/")) return "tsoperator";
  if (url.startsWith("node:")) return "node-internals";
  return "other";
}

/** Sums self time per node (sample i lasts timeDeltas[i + 1], V8's convention), then per category and function. */
export function summarizeProfile(profile: CpuProfile, top = 15): CpuSummary {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const byCategory: Record<string, number> = {};
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const cat = categoryOf(node.callFrame);
    byCategory[cat] = (byCategory[cat] ?? 0) + us / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}${url ? `:${(lineNumber ?? 0) + 1}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us / 1000);
  }
  for (const k of Object.keys(byCategory)) byCategory[k] = Math.round(byCategory[k]!);
  const topFunctions = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms: Math.round(ms) }));
  return { totalMs: Math.round(total / 1000), byCategory, topFunctions };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) {
    const s = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
    const busy = s.totalMs - (s.byCategory.idle ?? 0);
    console.log(`${file}: ${s.totalMs} ms profiled, ${busy} ms busy (${((busy / Math.max(1, s.totalMs)) * 100).toFixed(0)} %)`);
    const cats = Object.entries(s.byCategory)
      .filter(([k]) => k !== "idle")
      .sort((a, b) => b[1] - a[1]);
    console.log(
      `  by category: ${cats.map(([k, v]) => `${k} ${v} ms (${((v / Math.max(1, busy)) * 100).toFixed(0)} % of busy)`).join(", ")}`,
    );
    for (const f of s.topFunctions) console.log(`  ${String(f.ms).padStart(7)} ms  ${f.name}`);
  }
}
