/**
 * API server audit logging for the local control plane: the policy it is started with, the flags,
 * and the reader that turns the JSON-lines log into write records (who wrote what, when, with what
 * answer). The audit log is the API server's own account of every request, so fault tests count
 * writes per user from it instead of trusting the client's metrics.
 */
import { readFile } from "node:fs/promises";

/**
 * How the API server hands audit events to the log file: `blocking` writes each event synchronously
 * as its request completes (no buffer: a test reads it right after the response, in practice);
 * `batch` buffers and writes asynchronously (cheaper, events appear a little later).
 *
 * In neither mode is a record guaranteed to be on disk before the client has its response: the
 * ResponseComplete record is written as the handler finishes, so a SIGKILL of the API server can
 * lose the records of requests completing at that moment (seen: a write the client saw succeed,
 * missing from the log). Counts across a SIGKILL are lower bounds.
 */
export type AuditMode = "blocking" | "batch";

/** Audit logging options of {@link LocalControlPlaneOptions.audit}. */
export interface AuditOptions {
  /** Default `blocking`. */
  mode?: AuditMode;
  /**
   * An audit Policy (YAML) to use instead of the default, which records every write
   * (create, update, patch, delete, deletecollection) at level Metadata once, when its response
   * is complete, and nothing else.
   */
  policy?: string;
}

/** One write request as the API server's audit log recorded it. */
export interface AuditWrite {
  /** Kubernetes verb: create, update, patch, delete, deletecollection. */
  verb: string;
  /** Plural resource, e.g. `configmaps`. */
  resource: string;
  /** Subresource, e.g. `status`; undefined for the main resource. */
  subresource?: string;
  /** API group ("" for the core group). */
  apiGroup: string;
  namespace?: string;
  /** Object name; undefined when the server did not record one (e.g. some creates). */
  name?: string;
  /** The authenticated user name. */
  user: string;
  /** HTTP status of the answer (e.g. 200, 201, 409, 422). */
  code?: number;
  /** When the request was received. */
  time: Date;
  /** The request's path and query. */
  requestURI: string;
}

/** Verbs the audit reader counts as writes. */
export const AUDIT_WRITE_VERBS: ReadonlySet<string> = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** The default audit policy: every write at level Metadata, once (at ResponseComplete). */
export const DEFAULT_AUDIT_POLICY = [
  "apiVersion: audit.k8s.io/v1",
  "kind: Policy",
  "omitStages: [RequestReceived]",
  "rules:",
  "- level: Metadata",
  "  verbs: [create, update, patch, delete, deletecollection]",
  "- level: None",
  "",
].join("\n");

/** kube-apiserver flags that turn audit logging on. */
export function auditFlags(policyFile: string, logFile: string, mode: AuditMode): string[] {
  return [
    `--audit-policy-file=${policyFile}`,
    `--audit-log-path=${logFile}`,
    `--audit-log-mode=${mode}`,
    "--audit-log-format=json",
    // No rotation: a test reads one file from start to end.
    "--audit-log-maxsize=0",
    "--audit-log-maxbackup=0",
  ];
}

/** Parses audit log text (one JSON event a line) into write records; other events and torn lines are skipped. */
export function parseAuditWrites(text: string): AuditWrite[] {
  const out: AuditWrite[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let event: any;
    try {
      event = JSON.parse(line);
    } catch {
      continue; // the last line may be half-written in batch mode
    }
    if (!AUDIT_WRITE_VERBS.has(event.verb) || event.stage === "RequestReceived") continue;
    const ref = event.objectRef ?? {};
    out.push({
      verb: event.verb,
      resource: ref.resource ?? "",
      subresource: ref.subresource || undefined,
      apiGroup: ref.apiGroup ?? "",
      namespace: ref.namespace || undefined,
      name: ref.name || undefined,
      user: event.user?.username ?? "",
      code: event.responseStatus?.code,
      time: new Date(event.requestReceivedTimestamp ?? event.stageTimestamp),
      requestURI: event.requestURI ?? "",
    });
  }
  return out;
}

/** Reads the write records of an audit log file (empty when it does not exist yet). */
export async function readAuditWrites(logFile: string): Promise<AuditWrite[]> {
  let text: string;
  try {
    text = await readFile(logFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return parseAuditWrites(text);
}
