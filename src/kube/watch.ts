/**
 * Watch streams: `GET ...?watch=1` answered with newline-delimited JSON events, parsed as the
 * chunks arrive.
 */
import { parseJsonLines } from "./ndjson.js";
import { queryString, resourcePath } from "./paths.js";
import type { Transport } from "./transport.js";
import type { KubeObject, ResourceType, WatchEvent, WatchEventType } from "../core/kube-object.js";

/** Options of `KubeClient.watch`. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version ("" or undefined: the server's current state, sent as ADDED events first). */
  resourceVersion?: string;
  /** Ask for BOOKMARK events (the server sends one about every minute). */
  allowWatchBookmarks?: boolean;
  /** The server closes the stream after this long (client-go picks 5-10 minutes at random). */
  timeoutSeconds?: number;
  /** Ask for metadata only: event objects are `PartialObjectMetadata` (apiVersion `meta.k8s.io/v1`). */
  metadataOnly?: boolean;
  /**
   * A streaming list (WatchList): the server first sends the current state as ADDED events, then a
   * BOOKMARK annotated `k8s.io/initial-events-end: "true"`, then changes. Sends `sendInitialEvents=true`
   * and `resourceVersionMatch=NotOlderThan`; needs `allowWatchBookmarks`.
   */
  sendInitialEvents?: boolean;
  /** Aborting ends the iteration quietly. */
  signal: AbortSignal;
}

/** The Accept header of a metadata-only watch (as client-go's metadata informer sends it). */
const METADATA_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

const eventTypes = new Set<WatchEventType>(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/** The path of a watch request. */
export function watchPath(type: ResourceType, opts: Omit<WatchOptions, "signal">): string {
  return (
    resourcePath(type, opts.namespace) +
    queryString({
      watch: 1,
      allowWatchBookmarks: opts.allowWatchBookmarks ? true : undefined,
      timeoutSeconds: opts.timeoutSeconds,
      resourceVersion: opts.resourceVersion || undefined,
      sendInitialEvents: opts.sendInitialEvents ? true : undefined,
      resourceVersionMatch: opts.sendInitialEvents ? "NotOlderThan" : undefined,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    })
  );
}

/** Turns one parsed line into an event; rejects lines that are not events. */
export function toWatchEvent(value: unknown): WatchEvent {
  const event = value as { type?: unknown; object?: unknown };
  if (
    !event ||
    typeof event !== "object" ||
    !eventTypes.has(event.type as WatchEventType) ||
    typeof event.object !== "object" ||
    event.object === null
  ) {
    throw new Error(`watch stream sent something that is not an event: ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return { type: event.type as WatchEventType, object: event.object as KubeObject };
}

/** Opens the watch and yields its events until the server ends the stream or the signal aborts. */
export async function* watchEvents(transport: Transport, type: ResourceType, opts: WatchOptions): AsyncGenerator<WatchEvent> {
  const { signal } = opts;
  if (signal.aborted) return;
  let response: Awaited<ReturnType<typeof transport.stream>>;
  try {
    response = await transport.stream({
      method: "GET",
      path: watchPath(type, opts),
      signal,
      ...(opts.metadataOnly ? { accept: METADATA_WATCH_ACCEPT } : {}),
    });
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
  const body = response.body;
  try {
    for await (const value of parseJsonLines(body)) {
      yield toWatchEvent(value);
    }
  } catch (err) {
    if (signal.aborted) return;
    // A connection cut mid-stream (the server died) is news for every loop of this cluster: the
    // probe starts now, not when this loop's next attempt fails after its backoff.
    if ((err as { code?: unknown }).code !== undefined) transport.health.record("failed");
    throw err;
  } finally {
    // Breaking out early (or an abort) must free the connection; a finished body is a no-op.
    body.destroy();
  }
}
