/**
 * `npm run faults [-- --parents N] [--cases a,b] [--no-write] [--report]`
 *
 * The fault suite (issue 11): starts a local control plane with the API server's audit log on and
 * the operator's users, installs the BenchParent CRD, puts a FaultProxy in front of the API server
 * (suite.ts), and runs each case of cases.ts against the tsoperator benchmark operator (a child process).
 * Writes bench/results/faults.json and the table in docs/reliability.md. Progress goes to stderr.
 */
import "reflect-metadata";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../lib/peers.js";
import { allCases, type CaseResult } from "./cases.js";
import { faultsTable, mergeCases, replaceFaultsTable } from "./report.js";
import { startSuite } from "./suite.js";

interface Options {
  parents: number;
  cases: string[] | undefined;
  write: boolean;
  /** Only re-render the table in docs/reliability.md from bench/results/faults.json. */
  reportOnly: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { parents: 200, cases: undefined, write: true, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--parents") o.parents = Number(argv[++i]);
    else if (a === "--cases") o.cases = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a === "--no-write") o.write = false;
    else if (a === "--report") o.reportOnly = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (line: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const root = repoRoot();
  const file = join(root, "bench", "results", "faults.json");
  const docPath = join(root, "docs", "reliability.md");
  if (opts.reportOnly) {
    writeFileSync(docPath, replaceFaultsTable(readFileSync(docPath, "utf8"), faultsTable(JSON.parse(readFileSync(file, "utf8")))));
    log("re-rendered the table in docs/reliability.md from bench/results/faults.json");
    return;
  }
  const cases = allCases().filter((c) => !opts.cases || opts.cases.includes(c.name));
  if (cases.length === 0)
    throw new Error(
      `no such case; known: ${allCases()
        .map((c) => c.name)
        .join(", ")}`,
    );
  log(`P=${opts.parents}, cases: ${cases.map((c) => c.name).join(", ")}`);
  const { ctx, cp, proxy, stop } = await startSuite({ parents: opts.parents, log });
  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      log(`case ${c.name} ...`);
      const r = await c.run(ctx, proxy);
      results.push(r);
      log(
        `case ${c.name}: recovery ${r.recoveryMs ?? "none"} ms, lost ${r.lostUpdates}, duplicates ${r.duplicates}, orphans ${r.orphans}, ` +
          `writes ${r.writes.total} (min ${r.minimumWrites}, refused ${r.writes.refused} ${JSON.stringify(r.writes.refusedBy)}) ${JSON.stringify(r.details)}` +
          (r.error ? ` ERROR ${r.error}` : ""),
      );
    }
  } finally {
    await stop();
  }
  if (!opts.write) return;
  // A run of some cases (--cases) keeps the other cases' earlier figures.
  const earlier = existsSync(file) && opts.cases ? (JSON.parse(readFileSync(file, "utf8")).cases as CaseResult[]) : [];
  const result = {
    date: new Date().toISOString(),
    baseline: "before the reliability work of issue 11",
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model },
    versions: { kubernetes: cp.version.kubernetes, etcd: cp.version.etcd, node: process.version },
    parents: opts.parents,
    cases: mergeCases(
      earlier,
      results,
      allCases().map((c) => c.name),
    ),
  };
  writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  writeFileSync(docPath, replaceFaultsTable(readFileSync(docPath, "utf8"), faultsTable(result)));
  log(`wrote bench/results/faults.json and the table in docs/reliability.md`);
}

// Ctrl-C / SIGTERM: exit through process.exit so the exit hooks stop the operator and the control plane.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main().catch((err) => {
  log(`failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
