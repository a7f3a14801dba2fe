/**
 * `npm run faults [-- --parents N] [--cases a,b] [--no-write] [--report]`
 *
 * The fault suite (issue 11): starts a local control plane with the API server's audit log on and a
 * user "operator", installs the BenchParent CRD, puts a FaultProxy in front of the API server, and
 * runs each case of cases.ts against the tsoperator benchmark operator (a child process).
 * Writes bench/results/faults.json and the table in docs/reliability.md. Progress goes to stderr.
 */
import "reflect-metadata";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { FaultProxy, LocalControlPlane } from "../../src/testing/index.js";
import { KubeHttp } from "../lib/kube-http.js";
import { allPeers, repoRoot } from "../lib/peers.js";
import { allCases, type CaseResult } from "./cases.js";
import { OPERATOR_USER, type SuiteContext } from "./harness.js";
import { installCrd } from "./install-crd.js";
import { faultsTable, mergeCases, replaceFaultsTable } from "./report.js";

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
  const operator = await allPeers(16)
    .find((p) => p.name === "tsoperator")!
    .prepare(log);
  log(`P=${opts.parents}, cases: ${cases.map((c) => c.name).join(", ")}`);

  log("starting the local control plane (audit log on) ...");
  // The operator's user is not in system:masters (as no deployed operator is): that group falls under
  // the "exempt" FlowSchema, which API priority and fairness never limits (the apf cases). It gets
  // cluster-admin through RBAC instead.
  const cp = await LocalControlPlane.start({ audit: { mode: "blocking" }, users: [{ name: OPERATOR_USER, groups: [] }] });
  const http = new KubeHttp({ server: cp.server, token: cp.adminToken, ca: cp.caCert });
  await http.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    body: {
      metadata: { name: `faults-${OPERATOR_USER}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: OPERATOR_USER }],
    },
  });
  const proxy = await FaultProxy.start(cp.server);
  const logDir = join(root, "bench", "results", "tmp");
  mkdirSync(logDir, { recursive: true });
  const kubeconfigDirect = join(cp.tempDir, "operator.kubeconfig");
  const kubeconfigViaProxy = join(cp.tempDir, "operator-via-proxy.kubeconfig");
  writeFileSync(kubeconfigDirect, cp.kubeconfigText({ user: OPERATOR_USER }), { mode: 0o600 });
  writeFileSync(kubeconfigViaProxy, cp.kubeconfigText({ user: OPERATOR_USER, server: proxy.url }), { mode: 0o600 });
  const results: CaseResult[] = [];
  try {
    await installCrd(cp, http);
    // The garbage collector discovers the new kind only every 30 s: restart it so it owns children now.
    await cp.restartControllerManager();
    const withLog = { ...operator, env: { ...operator.env, BENCH_LOG_STDERR: "1" } };
    const ctx: SuiteContext = { cp, http, operator: withLog, kubeconfigDirect, kubeconfigViaProxy, parents: opts.parents, logDir, log };
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
    await proxy.close();
    await http.close();
    await cp.stop();
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
