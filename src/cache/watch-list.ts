/**
 * Streaming lists (WatchList), the pure part: what each event of a streaming list means, and when a
 * server has refused streaming so that the informer falls back to paginated lists for good.
 *
 * A streaming list is a watch with `sendInitialEvents=true&resourceVersionMatch=NotOlderThan&
 * allowWatchBookmarks=true`: the server sends the current state as ADDED events, then a BOOKMARK
 * annotated `k8s.io/initial-events-end: "true"` whose resourceVersion is the state's version
 * (client-go's reflector, `watchList`). It replaces the LIST: the API server streams objects from its
 * watch cache one by one instead of building every page in memory.
 *
 * Guarantees: the list is complete only at the annotated bookmark (never at a plain bookmark, never
 * at the end of the stream); a refusal is only an answer that says "this request is not understood"
 * (400, 404, 405, 406, 415, 422, 501) or a stream that ends cleanly without the bookmark (a server
 * that ignores `sendInitialEvents`). Authorization, throttling, 410 and server errors are not
 * refusals: a paginated list would meet them too, so they back off and stream again.
 */
import type { WatchEvent } from "../core/kube-object.js";
import type { WatchFailure } from "./watch-state.js";

/** The annotation on the bookmark that ends the initial events of a streaming list. */
export const INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end";

/** What one event of a streaming list means for the list being built. */
export type StreamedListEvent =
  /** An object of the current state: add it to the list. */
  | { kind: "item" }
  /** The list is complete at `resourceVersion`: the informer is synced. */
  | { kind: "end"; resourceVersion: string }
  /** The server reported an error instead (a `Status` in the event's object). */
  | { kind: "error" }
  /** Nothing for the list (a plain bookmark; MODIFIED/DELETED cannot come before the end, skipped). */
  | { kind: "skip" };

/** Classifies an event of a streaming list (see the module comment). */
export function classifyStreamedEvent(event: WatchEvent): StreamedListEvent {
  switch (event.type) {
    case "ADDED":
      return { kind: "item" };
    case "BOOKMARK": {
      const annotations = event.object?.metadata?.annotations;
      if (annotations?.[INITIAL_EVENTS_END_ANNOTATION] === "true") {
        return { kind: "end", resourceVersion: event.object.metadata?.resourceVersion ?? "" };
      }
      return { kind: "skip" };
    }
    case "ERROR":
      return { kind: "error" };
    default:
      return { kind: "skip" };
  }
}

/** Status codes that mean the server does not understand a streaming list. */
const REFUSAL_CODES: ReadonlySet<number> = new Set([400, 404, 405, 406, 415, 422, 501]);

/** True when a failed streaming list means the server will not stream: list with pages instead, for good. */
export function refusesWatchList(failure: WatchFailure): boolean {
  return failure.statusCode !== undefined && REFUSAL_CODES.has(failure.statusCode);
}
