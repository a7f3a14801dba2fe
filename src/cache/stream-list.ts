/**
 * The I/O of a streaming list (WatchList) for the informer: opens the watch with
 * `sendInitialEvents=true`, hands every initial object to `onItem`, and reports how it ended as the
 * state machine's input (`listDone` at the initial-events-end bookmark, `listError`, `streamEnded`).
 * What each event means is decided in `watch-list.ts`; what to do next in `watch-state.ts`.
 *
 * The stream is closed at the bookmark; the state machine then watches from the bookmark's
 * resourceVersion (one more watch request, served from the API server's watch cache), so the
 * informer's watch loop stays the one that handles changes, probes and inactivity.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import type { KubeClient } from "../kube/client.js";
import { classifyStreamedEvent } from "./watch-list.js";
import { classifyFailure, failureFromErrorEvent, type WatchAction, type WatchInput } from "./watch-state.js";

/** Selectors of the informer's requests. */
export interface StreamListScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Metadata-only objects (the informer's `metadataOnly`). */
  metadataOnly?: boolean;
}

/** Runs one streaming list; never throws (failures are `listError` inputs). `stop` when `signal` aborts. */
export async function streamList(
  client: Pick<KubeClient, "watch">,
  type: ResourceType,
  scope: StreamListScope,
  action: Extract<WatchAction, { type: "watchList" }>,
  signal: AbortSignal,
  onItem: (obj: KubeObject) => void,
): Promise<WatchInput> {
  const connection = new AbortController();
  const abortConnection = (): void => connection.abort();
  signal.addEventListener("abort", abortConnection, { once: true });
  let inactive = false;
  // The server sends the initial events at once; a stream silent this long is presumed dead.
  const inactivity = setTimeout(() => {
    inactive = true;
    connection.abort();
  }, action.inactivityTimeoutMs);
  let events = 0;
  try {
    const stream = client.watch(type, {
      ...scope,
      resourceVersion: action.resourceVersion,
      allowWatchBookmarks: true,
      sendInitialEvents: true,
      timeoutSeconds: action.timeoutSeconds,
      signal: connection.signal,
    });
    for await (const event of stream) {
      events++;
      inactivity.refresh();
      const meaning = classifyStreamedEvent(event);
      if (meaning.kind === "item") onItem(event.object);
      else if (meaning.kind === "end") return { type: "listDone", resourceVersion: meaning.resourceVersion };
      else if (meaning.kind === "error") return { type: "listError", error: failureFromErrorEvent(event.object) };
    }
    if (signal.aborted) return { type: "stop" };
    if (inactive)
      return { type: "listError", error: { gone: false, message: `streaming list silent for ${action.inactivityTimeoutMs} ms` } };
    return { type: "streamEnded", events };
  } catch (err) {
    if (signal.aborted) return { type: "stop" };
    if (inactive)
      return { type: "listError", error: { gone: false, message: `streaming list silent for ${action.inactivityTimeoutMs} ms` } };
    return { type: "listError", error: classifyFailure(err) };
  } finally {
    clearTimeout(inactivity);
    connection.abort();
    signal.removeEventListener("abort", abortConnection);
  }
}
