/**
 * API server audit logging for the local control plane: the policy it is started with, the flags,
 * and the reader that turns the JSON-lines log into records (who asked what, when, with what answer;
 * writes apart). The audit log is the API server's own account of every request, so fault tests
 * count writes per user from it instead of trusting the client's metrics.
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

/** One request (any verb) at one stage, as the API server's audit log recorded it. */
export interface AuditEvent extends AuditWrite {
  /** The request's id: a watch's ResponseStarted and ResponseComplete events share it. */
  auditID: string;
  /** RequestReceived, ResponseStarted (watches), ResponseComplete or Panic. */
  stage: string;
  /** The client's User-Agent header. */
  userAgent?: string;
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

/** Parses audit log text (one JSON event a line) into events, every verb and stage; torn lines are skipped. */
export function parseAuditEvents(text: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    let event: any;
    try {
      event = JSON.parse(line);
    } catch {
      continue; // the last line may be half-written in batch mode
    }
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
      auditID: event.auditID ?? "",
      stage: event.stage ?? "",
      ...(event.userAgent ? { userAgent: event.userAgent } : {}),
    });
  }
  return out;
}

/** Parses audit log text into write records; other events and torn lines are skipped. */
export function parseAuditWrites(text: string): AuditWrite[] {
  return auditWritesOf(parseAuditEvents(text));
}

/** The writes among `events`, once each (their completed stage), as write records. */
export function auditWritesOf(events: readonly AuditEvent[]): AuditWrite[] {
  return events
    .filter((e) => AUDIT_WRITE_VERBS.has(e.verb) && e.stage !== "RequestReceived")
    .map(({ verb, resource, subresource, apiGroup, namespace, name, user, code, time, requestURI }) => ({
      verb,
      resource,
      subresource,
      apiGroup,
      namespace,
      name,
      user,
      code,
      time,
      requestURI,
    }));
}

/** Reads the events of an audit log file (empty when it does not exist yet). */
export async function readAuditEvents(logFile: string): Promise<AuditEvent[]> {
  let text: string;
  try {
    text = await readFile(logFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return parseAuditEvents(text);
}
