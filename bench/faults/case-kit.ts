/**
 * What every fault case shares: its result record, and how a result starts and ends (the
 * end-of-case counts, the harness closed).
 */
import type { FaultProxy } from "../../src/testing/index.js";
import type { CaseCounts, CaseHarness, SuiteContext } from "./harness.js";

/** One case's outcome. */
export interface CaseResult extends CaseCounts {
  name: string;
  parents: number;
  /** What was done, in words. */
  fault: string;
  /** What the recovery time is measured from, as "after ...". */
  recoveryFrom: string;
  /** Milliseconds from the fault's end to every parent converged; undefined when it never converged. */
  recoveryMs?: number;
  /** The wait was given up after this many milliseconds. */
  capMs: number;
  /** Case-specific figures (e.g. the outage, time to /readyz). */
  details: Record<string, number | string>;
  error?: string;
}

/** A case: a name and how to run it. */
export interface FaultCase {
  name: string;
  run(ctx: SuiteContext, proxy: FaultProxy): Promise<CaseResult>;
}

/** A fresh result of a case: nothing counted yet. */
export function base(name: string, ctx: SuiteContext, capMs: number, fault: string, recoveryFrom: string): CaseResult {
  return {
    name,
    parents: ctx.parents,
    fault,
    recoveryFrom,
    capMs,
    details: {},
    lostUpdates: 0,
    duplicates: 0,
    orphans: 0,
    missing: 0,
    minimumWrites: 0,
    writes: { total: 0, refused: 0, conflicts: 0, byVerb: {}, refusedBy: {} },
  };
}

/** Fills in the end-of-case counts (of `users`: the operator by default) and closes the harness. */
export async function finish(h: CaseHarness, result: CaseResult, users?: readonly string[]): Promise<CaseResult> {
  try {
    Object.assign(result, await h.counts(users));
  } catch (err) {
    result.error ??= `counting: ${(err as Error).message}`;
  }
  await h.close();
  return result;
}
