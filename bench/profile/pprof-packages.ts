/**
 * Summarizes Go pprof CPU profiles of kube-apiserver (lib/apiserver-profile.ts,
 * `BENCH_APISERVER_PROF_DIR`): inclusive time of the server's parts a benchmark reader asks about
 * (server-side apply and managed fields, JSON decode and encode, the watch cache and its fan-out,
 * the etcd client, TLS, GC, storage updates, the ClusterIP allocator) and the functions with the
 * most self time. Request filters (authentication, authorization) are left out: their inclusive
 * time is everything downstream of them. Uses `go tool pprof -top` (the Go toolchain the control plane is built
 * with), which merges several files.
 *
 *   node dist/bench/profile/pprof-packages.js <apiserver-*.pb.gz> [more ...]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** One row of `go tool pprof -top`: self and inclusive seconds of a function. */
export interface PprofRow {
  flat: number;
  cum: number;
  name: string;
}

/**
 * The server's parts, each the functions whose inclusive time stands for it. A part's figure is the
 * largest inclusive time among its functions: a lower bound of the part (its entry points may be
 * several), never a double count of a caller and its callee.
 */
export const PARTS: Array<{ part: string; pattern: RegExp }> = [
  { part: "server-side apply (apply patch handling)", pattern: /handlers\.\(\*applyPatcher\)\.applyPatchToCurrentObject$/ },
  {
    part: "managed fields (every write)",
    pattern: /managedfields.*\.\(\*FieldManager\)\.UpdateNoErrors$|managedfields.*\.\(\*FieldManager\)\.Update$/,
  },
  { part: "structured-merge-diff", pattern: /^sigs\.k8s\.io\/structured-merge-diff/ },
  {
    part: "JSON decode",
    pattern:
      /^(encoding\/json\.Unmarshal|sigs\.k8s\.io\/json\.UnmarshalCaseSensitivePreserveInts|k8s\.io\/apimachinery\/pkg\/runtime\/serializer\/json\.\(\*Serializer\)\.Decode)$/,
  },
  {
    part: "JSON encode",
    pattern: /^(encoding\/json\.Marshal|k8s\.io\/apimachinery\/pkg\/runtime\/serializer\/json\.\(\*Serializer\)\.(doEncode|Encode))$/,
  },
  {
    part: "watch serving (watch encoding)",
    pattern:
      /endpoints\/handlers\.\(\*WatchServer\)\.HandleHTTP$|endpoints\/handlers\.serveWatchHandler|handlers\.\(\*watchEncoder\)\.Encode$/,
  },
  { part: "watch cache (cacher dispatch)", pattern: /storage\/cacher\.\(\*Cacher\)\.(dispatchEvents|processEvent|dispatchEvent)$/ },
  { part: "etcd client (storage)", pattern: /^go\.etcd\.io\/etcd\/client/ },
  { part: "TLS", pattern: /^crypto\/tls\.\(\*Conn\)\.(Read|Write)$/ },
  { part: "Go GC", pattern: /^runtime\.gcBgMarkWorker$/ },
  { part: "storage updates (GuaranteedUpdate)", pattern: /storage\/etcd3\.\(\*store\)\.GuaranteedUpdate$/ },
  { part: "ClusterIP allocation (Service create)", pattern: /service\/storage\.\(\*Allocators\)\.allocateCreate$/ },
  { part: "  of which counting allocated IPs", pattern: /service\/ipallocator\.\(\*Allocator\)\.Used$/ },
];

/** Parses `go tool pprof -top` text (units ns to hrs) into rows and the total sampled seconds. */
export function parseTop(text: string): { total: number; rows: PprofRow[] } {
  const t = /Total samples = ([\d.]+)(ns|us|ms|s|mins?|hrs?)/.exec(text);
  const total = t ? toSeconds(Number(t[1]), t[2]!) : 0;
  const rows: PprofRow[] = [];
  const value = "([\\d.]+)(ns|us|ms|s|mins?|hrs?)?";
  const percent = "[\\d.e+-]+%";
  // A zero prints without a unit ("0     0%"); a tiny share may print as "5e-05%".
  const row = new RegExp(`^\\s*${value}\\s+${percent}\\s+${percent}\\s+${value}\\s+${percent}\\s+(.+)$`);
  for (const line of text.split("\n")) {
    const m = row.exec(line);
    // Inlined functions carry " (inline)" or " (partial-inline)" after their name.
    if (m)
      rows.push({
        flat: toSeconds(Number(m[1]), m[2] ?? "s"),
        cum: toSeconds(Number(m[3]), m[4] ?? "s"),
        name: m[5]!.trim().replace(/ \((partial-)?inline\)$/, ""),
      });
  }
  return { total, rows };
}

function toSeconds(v: number, unit: string): number {
  if (unit === "ns") return v / 1e9;
  if (unit === "us") return v / 1e6;
  if (unit === "ms") return v / 1000;
  if (unit.startsWith("min")) return v * 60;
  if (unit.startsWith("hr")) return v * 3600;
  return v;
}

/** Each part's inclusive seconds (see PARTS). */
export function partsOf(rows: PprofRow[]): Array<{ part: string; seconds: number }> {
  return PARTS.map(({ part, pattern }) => ({
    part,
    seconds: rows.filter((r) => pattern.test(r.name)).reduce((m, r) => Math.max(m, r.cum), 0),
  }));
}

function main(files: string[]): void {
  if (files.length === 0) {
    console.error("usage: pprof-packages <apiserver-*.pb.gz> [more ...]");
    process.exit(2);
  }
  const text = execFileSync("go", ["tool", "pprof", "-top", "-nodecount=1000000", "-nodefraction=0", ...files], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const { total, rows } = parseTop(text);
  console.log(`sampled CPU: ${total.toFixed(1)} s in ${files.length} profile(s)`);
  console.log("part (inclusive, lower bound)                 seconds   share");
  for (const { part, seconds } of partsOf(rows))
    console.log(`${part.padEnd(45)} ${seconds.toFixed(2).padStart(8)} ${((100 * seconds) / (total || 1)).toFixed(1).padStart(6)} %`);
  console.log("\ntop self time:");
  for (const r of [...rows].sort((a, b) => b.flat - a.flat).slice(0, 25)) console.log(`${r.flat.toFixed(2).padStart(8)} s  ${r.name}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
