/**
 * Pure counting for the fault suite: what a case's end state and the API server's audit log say
 * about duplicates, orphans and writes. No I/O: the runner feeds it wire objects and audit records.
 */
import { CHILDREN_PER_PARENT, TRACKING_LABEL } from "../lib/workload.js";

type Obj = Record<string, any>;

/** The write fields the tally reads (a subset of tsoperator/testing's AuditWrite). */
export interface WriteRecord {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user: string;
  code?: number;
  time: Date;
}

/** What the children in a namespace say about their parents. */
export interface ChildTally {
  /** Children beyond the expected ones of their parent and kind. */
  duplicates: number;
  /** Children whose owning parent (by ownerReference uid) does not exist. */
  orphans: number;
  /** Expected children of live parents that do not exist. */
  missing: number;
}

/** Children expected per parent and kind in the benchmark workload. */
export const EXPECTED_CHILDREN: Readonly<Record<string, number>> = { ConfigMap: 2, Service: 1 };

/** Counts duplicates, orphans and missing children of `parents` among `children` (labelled ones). */
export function tallyChildren(parents: Obj[], children: Obj[], expected: Readonly<Record<string, number>> = EXPECTED_CHILDREN): ChildTally {
  const live = new Set(parents.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata.uid as string));
  const perParentKind = new Map<string, number>();
  let orphans = 0;
  for (const child of children) {
    const controller = (child.metadata?.ownerReferences as Obj[] | undefined)?.find((o) => o.controller);
    const owner = controller?.uid ?? child.metadata?.labels?.[TRACKING_LABEL];
    if (!owner || !live.has(owner)) {
      orphans++;
      continue;
    }
    const key = `${owner}/${child.kind}`;
    perParentKind.set(key, (perParentKind.get(key) ?? 0) + 1);
  }
  let duplicates = 0;
  let missing = 0;
  for (const uid of live) {
    for (const [kind, want] of Object.entries(expected)) {
      const have = perParentKind.get(`${uid}/${kind}`) ?? 0;
      duplicates += Math.max(0, have - want);
      missing += Math.max(0, want - have);
    }
  }
  return { duplicates, orphans, missing };
}

/** The writes of one user in one namespace. */
export interface WriteTally {
  total: number;
  /** Writes the API server refused (status >= 400). */
  refused: number;
  /** Of those, 409 Conflict. */
  conflicts: number;
  /** Refused writes by `verb resource code`, e.g. `patch benchparents 409`. */
  refusedBy: Record<string, number>;
  /** Writes by `verb resource[/subresource]`, e.g. `patch configmaps`. */
  byVerb: Record<string, number>;
}

/** Tallies the writes of `user` (or of any of several users) in `namespace`, received at or after `since` (ms since the epoch). */
export function tallyWrites(writes: readonly WriteRecord[], user: string | readonly string[], namespace: string, since = 0): WriteTally {
  const out: WriteTally = { total: 0, refused: 0, conflicts: 0, byVerb: {}, refusedBy: {} };
  const users = typeof user === "string" ? [user] : user;
  for (const w of writes) {
    if (!users.includes(w.user) || w.namespace !== namespace || w.time.getTime() < since) continue;
    out.total++;
    const key = `${w.verb} ${w.resource}${w.subresource ? "/" + w.subresource : ""}`;
    if ((w.code ?? 0) >= 400) {
      out.refused++;
      out.refusedBy[`${key} ${w.code}`] = (out.refusedBy[`${key} ${w.code}`] ?? 0) + 1;
    }
    if (w.code === 409) out.conflicts++;
    out.byVerb[key] = (out.byVerb[key] ?? 0) + 1;
  }
  return out;
}

/** The parent a workload write touched: the parent itself, its Service `<p>`, or ConfigMap `<p>-a|-b`. */
export function parentOfWrite(w: Pick<WriteRecord, "resource" | "name">): string | undefined {
  if (!w.name) return undefined;
  return w.resource === "configmaps" ? w.name.replace(/-[ab]$/, "") : w.name;
}

/**
 * The fewest writes an operator can converge with: per new parent the finalizer, its children and
 * its status; per spec update of a parent already converged the children and the status.
 */
export function minimumWrites(newParents: number, updates: number): number {
  return newParents * (CHILDREN_PER_PARENT + 2) + updates * (CHILDREN_PER_PARENT + 1);
}

/** What the audit log says about a leader handover from `oldUser` to `newUser` (workload writes exclude Leases). */
export interface Handover {
  /** When the new leader's first successful Lease write (its acquisition) was received; undefined if none. */
  newAcquiredAt?: number;
  /** When the old leader's last workload write was received. */
  oldLastWriteAt?: number;
  /** When the new leader's first workload write was received. */
  newFirstWriteAt?: number;
  /** Workload writes of the old leader received at or after the new leader's first one (overlap). */
  oldWritesAfterNewFirst: number;
  /** Workload writes of the new leader received before it acquired the Lease (a standby writing). */
  newWritesBeforeAcquired: number;
  /** Workload writes of the old leader answered >= 400 (e.g. 504 for requests its death cut off). */
  oldRefused: number;
}

/** Reads a leader handover from the audit records of one namespace (see {@link Handover}). */
export function handover(writes: readonly WriteRecord[], oldUser: string, newUser: string, namespace: string): Handover {
  const inNs = writes.filter((w) => w.namespace === namespace);
  const ms = (w: WriteRecord) => w.time.getTime();
  const first = (ws: WriteRecord[]) => (ws.length > 0 ? Math.min(...ws.map(ms)) : undefined);
  const last = (ws: WriteRecord[]) => (ws.length > 0 ? Math.max(...ws.map(ms)) : undefined);
  const workload = (user: string) => inNs.filter((w) => w.user === user && w.resource !== "leases" && w.resource !== "events");
  const acquired = first(inNs.filter((w) => w.user === newUser && w.resource === "leases" && (w.code ?? 500) < 300));
  const oldWrites = workload(oldUser);
  const newWrites = workload(newUser);
  const newFirst = first(newWrites);
  const out: Handover = {
    oldWritesAfterNewFirst: newFirst === undefined ? 0 : oldWrites.filter((w) => ms(w) >= newFirst).length,
    newWritesBeforeAcquired: newWrites.filter((w) => acquired === undefined || ms(w) < acquired).length,
    oldRefused: oldWrites.filter((w) => (w.code ?? 0) >= 400).length,
  };
  if (acquired !== undefined) out.newAcquiredAt = acquired;
  const oldLast = last(oldWrites);
  if (oldLast !== undefined) out.oldLastWriteAt = oldLast;
  if (newFirst !== undefined) out.newFirstWriteAt = newFirst;
  return out;
}

/**
 * Children deleted (successfully) before `at` and not created again before `at`, by parent: the
 * parents a Recreate had left between its delete and its create at that moment.
 */
export function betweenDeleteAndCreate(writes: readonly WriteRecord[], user: string, namespace: string, at: number): string[] {
  const gone = new Set<string>();
  const sorted = writes
    .filter((w) => w.user === user && w.namespace === namespace && w.time.getTime() < at && (w.code ?? 500) < 300 && w.name)
    .sort((a, b) => a.time.getTime() - b.time.getTime());
  for (const w of sorted) {
    const key = `${w.resource}/${w.name}`;
    if (w.verb === "delete") gone.add(key);
    else if (w.verb === "create" || w.verb === "patch" || w.verb === "update") gone.delete(key);
  }
  const parents = new Set([...gone].map((key) => parentOfWrite({ resource: key.split("/")[0]!, name: key.split("/")[1]! })!));
  return [...parents].sort();
}

/** Counts `FINALIZED <uid>` lines per uid (the fault-mode finalizer's own record of each run). */
export function finalizeRuns(lines: readonly string[]): Map<string, number> {
  const runs = new Map<string, number>();
  for (const line of lines) {
    const m = /^FINALIZED (\S+)$/.exec(line);
    if (m) runs.set(m[1]!, (runs.get(m[1]!) ?? 0) + 1);
  }
  return runs;
}
