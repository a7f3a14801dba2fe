/**
 * Request counts from the apiserver's own `/metrics` (`apiserver_request_total`), read with the
 * admin token and the apiserver's CA, keyed `VERB resource[/subresource]` (e.g.
 * `APPLY configmaps`, `PATCH benchparents/status`). Server-side apply is reported as verb APPLY.
 */
import type { KubeHttp } from "./kube-http.js";

/** Request counts keyed `VERB resource[/subresource]`. */
export type RequestCounts = Record<string, number>;

/** Verbs that write. */
export const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);

/** Resources the workload touches (other apiserver traffic, e.g. leases, is left out). */
export const WORKLOAD_RESOURCES = new Set(["benchparents", "configmaps", "services", "events"]);

/** Parses `apiserver_request_total` out of a Prometheus text exposition. */
export function parseRequestTotals(text: string): RequestCounts {
  const out: RequestCounts = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const close = line.lastIndexOf("}");
    const labels: Record<string, string> = {};
    for (const m of line.slice(line.indexOf("{") + 1, close).matchAll(/(\w+)="([^"]*)"/g)) labels[m[1]!] = m[2]!;
    if (!WORKLOAD_RESOURCES.has(labels.resource ?? "")) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? "/" + labels.subresource : ""}`;
    out[key] = (out[key] ?? 0) + Number(line.slice(close + 1).trim());
  }
  return out;
}

/** Reads the counters now. */
export async function readRequestTotals(http: KubeHttp): Promise<RequestCounts> {
  return parseRequestTotals(await http.text("/metrics"));
}

/** `after - before - own`, dropping zeros: what others (the peer, the controller manager) sent. */
export function diffCounts(before: RequestCounts, after: RequestCounts, own: RequestCounts = {}): RequestCounts {
  const out: RequestCounts = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0) - (own[key] ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

/** Sum of the write requests in a set of counts. */
export function countWrites(counts: RequestCounts): number {
  let n = 0;
  for (const [key, value] of Object.entries(counts)) if (WRITE_VERBS.has(key.split(" ")[0]!)) n += value;
  return n;
}

/** Snapshot of a client's own request counters, for subtracting later. */
export function snapshotOwn(counts: Map<string, number>): RequestCounts {
  return Object.fromEntries(counts);
}
