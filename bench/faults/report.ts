/**
 * The fault suite's table for docs/reliability.md, rendered from bench/results/faults.json, with a
 * short "what a user sees" per case derived from the measured figures.
 */
import type { CaseResult } from "./cases.js";

/** The parts of faults.json the table is rendered from. */
export interface FaultsResults {
  date: string;
  parents: number;
  machine: { cpus: number; cpuModel?: string };
  versions: { kubernetes: string; node: string };
  cases: CaseResult[];
}

const s = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);

/** One sentence on what a user of the operator notices in a case. */
export function whatAUserSees(r: CaseResult): string {
  if (r.error) return `The case failed: ${r.error}`;
  const never = `Not converged after ${s(r.capMs)}: ${r.lostUpdates} parents left behind.`;
  if (r.name.startsWith("apiserver-sigkill")) {
    const refused = r.writes.refused > 0 ? ` ${r.writes.refused} writes were refused meanwhile (${r.writes.conflicts} x 409).` : "";
    const resumed = r.details.firstAcceptedWriteAfterReadyzMs;
    const pace =
      resumed === undefined
        ? ""
        : ` Writes resume ${s(Math.max(0, Number(resumed)))} after /readyz OK; the rest goes at ` +
          `${r.details.parentsPerSecondAfterReadyz} parents/s (${r.details.parentsPerSecondBeforeKill}/s before the kill).`;
    return r.recoveryMs === undefined
      ? never
      : `Parents stop converging while the API server is down, and the rest converge ${s(r.recoveryMs)} after it is ready again.` +
          `${pace}${refused}`;
  }
  if (r.name === "watch-stalled") {
    return r.recoveryMs === undefined
      ? `${never} The operator looks healthy: its watches are open but silent.`
      : `New parents wait ${s(r.recoveryMs)} to converge; /readyz turns red once the watch probe finds the stalled watches ` +
          "(~25 s), and writes on stalled keep-alive connections wait out the request timeout.";
  }
  if (r.name === "operator-sigkill") {
    return r.recoveryMs === undefined
      ? never
      : `The new process is ready in ${s(Number(r.details.spawnToReadyMs))} and finishes the rest in ${s(r.recoveryMs)}; ` +
          `${r.details.writesOnParentsInLineAtKill} writes on parents that were already in line.`;
  }
  if (r.name.startsWith("apf-")) {
    if (r.recoveryMs === undefined) return never;
    const d = r.details;
    const fixed = d.fixedMs === "none" ? `not converged after ${s(r.capMs)} (${d.fixedConverged}/${r.parents})` : `${s(Number(d.fixedMs))}`;
    return (
      `Parents converge in ${s(r.recoveryMs)}; a paced raw client sending one request per seat takes ${s(Number(d.pacedMs))} ` +
      `(tsoperator: ${d.throughputVsPaced} x its throughput). The level refused ${d.rejected} of the operator's requests ` +
      `(${d.throttledWrites} writes); with a fixed limit instead of the adaptive one: ${fixed}, ${d.fixedRejected} refused.`
    );
  }
  if (r.name === "leader-failover") {
    const d = r.details;
    const overlap = Number(d.oldLeaderWritesAfterNewLeadersFirst ?? 0) + Number(d.standbyWritesBeforeLeading ?? 0);
    return r.recoveryMs === undefined
      ? never
      : `Nothing converges until the standby takes the Lease ${s(Number(d.killToLeaseAcquiredMs))} after the kill (the Lease ` +
          `must expire first); it works from its warm caches and every parent is converged ${s(r.recoveryMs)} after the kill. ` +
          (overlap === 0 ? "No overlapping writes." : `${overlap} overlapping writes.`);
  }
  if (r.name === "hanging-handler") {
    const d = r.details;
    return r.recoveryMs === undefined
      ? never
      : `The other parents converge as usual (${s(Number(d.othersConvergedMs))}); the hung parent gets a HandlerTimeout Warning ` +
          `Event ${s(Number(d.timeoutEventAfterMs))} after its call began, and no status. Its spec change waits for the hung call ` +
          `(converged while it hung: ${d.convergedWhileCallHung}) and converges ${s(r.recoveryMs)} after the call returns.`;
  }
  if (r.name === "operator-sigkill-recreate") {
    return r.recoveryMs === undefined
      ? never
      : `${r.details.parentsBetweenDeleteAndCreateAtKill} parents had a ConfigMap deleted and not yet created again at the kill: ` +
          `missing until the new process, which creates them; all converged ${s(r.recoveryMs)} after its spawn, ${r.missing} missing.`;
  }
  if (r.name === "operator-sigkill-finalize") {
    const d = r.details;
    return r.recoveryMs === undefined
      ? `${never} (parents still there)`
      : `Deleted parents wait (Terminating) while no operator runs; the new process finishes them ${s(r.recoveryMs)} after its spawn. ` +
          `Finalize ran for ${d.finalizedAtLeastOnce} of ${r.parents} parents (twice for ${d.finalizedTwice}: ` +
          "those whose finalizer was not yet removed at the kill).";
  }
  return "";
}

/** The markdown table of every case. */
export function faultsTable(res: FaultsResults): string {
  const header =
    `Measured ${res.date.slice(0, 16)} UTC, ${res.parents} parents, ${res.machine.cpus} CPUs (${res.machine.cpuModel}), ` +
    `Kubernetes ${res.versions.kubernetes}, Node ${res.versions.node}; ` +
    "raw figures in [bench/results/faults.json](../bench/results/faults.json). " +
    "The baseline before the reliability work is kept below the table.";
  const lines = [
    header,
    "",
    "| case | fault | recovery | lost updates | duplicate children | orphans | operator writes (fewest possible) | " +
      "refused writes (409) | what a user sees |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of res.cases) {
    lines.push(
      `| ${r.name} | ${r.fault} | ${s(r.recoveryMs)} ${r.recoveryFrom} | ${r.lostUpdates} | ${r.duplicates} | ${r.orphans} | ` +
        `${r.writes.total} (${r.minimumWrites}) | ${r.writes.refused} (${r.writes.conflicts}) | ${whatAUserSees(r)} |`,
    );
  }
  return lines.join("\n");
}

const START = "<!-- faults:results:start -->";
const END = "<!-- faults:results:end -->";

/** Replaces the text between the faults markers of docs/reliability.md (appends them when missing). */
export function replaceFaultsTable(doc: string, table: string): string {
  const i = doc.indexOf(START);
  const j = doc.indexOf(END);
  if (i < 0 || j < i) return `${doc.trimEnd()}\n\n${START}\n${table}\n${END}\n`;
  return `${doc.slice(0, i + START.length)}\n${table}\n${doc.slice(j)}`;
}

/** Merges a run's cases into earlier results: cases run now replace those of the same name. */
export function mergeCases(earlier: readonly CaseResult[], now: readonly CaseResult[], order: readonly string[]): CaseResult[] {
  const byName = new Map(earlier.map((c) => [c.name, c]));
  for (const c of now) byName.set(c.name, c);
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return [...byName.values()].sort((a, b) => rank(a.name) - rank(b.name));
}
