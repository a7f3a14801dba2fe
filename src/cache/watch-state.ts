/**
 * The informer's list/watch recovery as a pure state machine (after kube-rs' watcher):
 * `step(state, input, context)` returns the next state and the actions the I/O layer must perform.
 * Nothing here touches the network or the clock; `context` supplies time and randomness, so
 * every transition is unit-testable.
 *
 * Rules (client-go's reflector):
 * - the first list asks `resourceVersion=0` (served from the API server's watch cache) in pages of
 *   500; further pages send only the continue token;
 * - after 410 Gone (watch or list) we relist with an empty resourceVersion (a consistent read
 *   from etcd), because the watch cache cannot serve the version we had;
 * - every watch sends `allowWatchBookmarks=true` and a random `timeoutSeconds` of 5-10 minutes,
 *   so reconnects of many informers spread out;
 * - a watch the server closes normally re-watches from the last resourceVersion seen (events and
 *   bookmarks), without a relist; but a watch that ends within {@link VERY_SHORT_WATCH_MS} without a
 *   single event or bookmark is a failure (client-go's "very short watch"): a proxy that answers 200
 *   and closes must meet the backoff, not a tight request loop;
 * - an expired continue token (410 on a later page) falls back to one full list: no limit, empty
 *   resourceVersion (client-go's pager), since a paged relist could expire the same way;
 * - a successful list, like any watch event or bookmark, ends the streak of errors that probes read;
 * - any other error backs off (800 ms doubling, jittered, capped at 30 s, reset after 2 minutes
 *   without failure) and then retries the same step: a failed list lists again, a failed watch
 *   watches again from its resourceVersion (a 410 answer then leads to a relist);
 * - a watch that delivers neither event nor bookmark for `probeAfterMs` (20 s) is **probed**: a short
 *   second watch from the same resourceVersion (`timeoutSeconds=1`, a client deadline of 5 s).
 *   The API server sends bookmarks only about every 60 s, so silence alone cannot tell a quiet type
 *   from a stalled connection; the probe can. An event newer than the last one seen means the main
 *   watch missed it; an error or no answer means the path to the server is broken: either way the
 *   watch is **stale** (readiness red) and is abandoned and re-opened from its resourceVersion (a
 *   410 there relists). A clean close with nothing new (or nothing the main watch has not caught up
 *   with meanwhile) means the watch is fine. While stale, probes come every `staleProbeAfterMs`
 *   (5 s), so readiness turns green soon after the path heals. Stale ends with any sign of life
 *   (event, bookmark, list, quiet probe);
 * - with `watchList` on, a list is a **streaming list** (WatchList, see `watch-list.ts`): one watch with
 *   `sendInitialEvents=true` whose initial events fill the store up to the initial-events-end bookmark,
 *   then a watch from that bookmark's resourceVersion. A server that refuses it (`refusesWatchList`, or
 *   a stream that ends without the bookmark) gets a paginated list at once, and the action
 *   `disableWatchList` tells the I/O layer to never stream again for this type; any other failure backs
 *   off and streams again;
 * - a watch that delivers neither event nor bookmark for `inactivityTimeoutMs` is presumed dead
 *   (a half-open TCP connection never errors) and is re-opened at once: the backstop when probes
 *   are turned off.
 */
import type { KubeObject, WatchEvent } from "../core/kube-object.js";
import { refusesWatchList } from "./watch-list.js";
import { compareResourceVersions } from "./resource-version.js";
import {
  nextDelay,
  DEFAULT_BACKOFF_RESET_AFTER_MS,
  DEFAULT_WATCH_BACKOFF,
  NO_FAILURES,
  recordFailure,
  type BackoffConfig,
  type FailureHistory,
} from "../core/backoff.js";

/**
 * Failure bookkeeping shared by every state. Two counters on purpose: the backoff only starts
 * over after 2 failure-free minutes (so a watch that opens, delivers one event and dies keeps
 * backing off), while `consecutiveErrors` ends with any sign of health (for probes and for the
 * decision to relist at once after 410).
 */
export interface LoopHealth {
  backoff: FailureHistory;
  consecutiveErrors: number;
  /**
   * A watch probe found the watch stale (it missed events, or the server could not be reached):
   * readiness is red until the next sign of life (event, bookmark, list, quiet probe).
   */
  stale?: true;
}

/** Health at start. */
export const HEALTHY: LoopHealth = Object.freeze({ backoff: NO_FAILURES, consecutiveErrors: 0 });

/** A list request (or its next page) is due. `resourceVersion` is "0" first, "" after 410. */
export interface ListingState {
  kind: "Listing";
  resourceVersion: "0" | "";
  continue?: string;
  /** One unpaginated list (after an expired continue token). */
  unpaged?: true;
  /** A streaming list (WatchList) instead of pages (set when `watchList` is on as the state is entered). */
  streaming?: true;
  health: LoopHealth;
}
/** A watch from `resourceVersion` is open (or about to be opened). */
export interface WatchingState {
  kind: "Watching";
  resourceVersion: string;
  /**
   * The resourceVersion comes from a relist after 410 and no event has arrived since: another
   * 410 now backs off instead of relisting at once (a list resets the error streak, so the
   * streak alone cannot stop a list/410 loop).
   */
  afterRelist?: true;
  /** A watch probe is in flight (at most one per watch). */
  probing?: true;
  health: LoopHealth;
}
/** Waiting `delayMs` after a failure before `then` is retried. */
export interface BackoffState {
  kind: "Backoff";
  delayMs: number;
  /** When the wait ends (ms since the epoch). */
  until: number;
  then: { kind: "Listing"; resourceVersion: "0" | "" } | { kind: "Watching"; resourceVersion: string };
  health: LoopHealth;
}
/** Terminal: the informer was stopped. */
export interface StoppedState {
  kind: "Stopped";
  health: LoopHealth;
}
/** Every state of the list/watch loop. */
export type WatchState = ListingState | WatchingState | BackoffState | StoppedState;

/** An API failure as the state machine needs to see it. */
export interface WatchFailure {
  /** 410: the resourceVersion or continue token is too old. */
  gone: boolean;
  message: string;
  statusCode?: number;
  /** The server's Retry-After, in ms (the backoff waits at least this long). */
  retryAfterMs?: number;
}

/** What happened, as reported by the I/O layer. */
export type WatchInput =
  | { type: "listPage"; continue: string }
  | { type: "listDone"; resourceVersion: string }
  | { type: "listError"; error: WatchFailure }
  /** A streaming list ended cleanly before its initial-events-end bookmark (a server that ignores it). */
  | { type: "streamEnded"; events: number }
  | { type: "watchEvent"; event: WatchEvent }
  | {
      type: "watchClosed";
      /** How long the watch was open, from the request to the end of the stream. */
      durationMs: number;
      /** Events and bookmarks it delivered. */
      events: number;
    }
  | { type: "watchError"; error: WatchFailure }
  | { type: "inactivityTimeout" }
  /** The watch was silent for the probe delay ({@link probeDelayMs}). */
  | { type: "probeDue" }
  /** How the probe the last `probe` action asked for ended. */
  | { type: "probeResult"; outcome: ProbeOutcome }
  /** The I/O layer closed the watch a `abandonWatch` action gave up on. */
  | { type: "watchAbandoned" }
  /**
   * The backoff is over. `relist`: the informer's cache may have missed changes that resuming the
   * watch cannot be trusted to replay (the connection broke or the server failed, e.g. an outage
   * during which etcd may be compacted): list again instead of resuming the watch.
   */
  | { type: "backoffElapsed"; relist?: boolean }
  | { type: "stop" };

/**
 * How a watch probe ended: `quiet` (closed cleanly with no event), `events` (it saw changes; the
 * newest resourceVersion among them), `failed` (an error, a 410, or no answer before its deadline).
 * Bookmarks do not count as events: they advance the version without a change to miss.
 */
export type ProbeOutcome =
  | { kind: "quiet" }
  | { kind: "events"; newestResourceVersion: string }
  /** `noAnswer`: nothing came back by the deadline (a path that holds connections open but forwards nothing). */
  | { kind: "failed"; error: WatchFailure; noAnswer?: true };

/** A watch that ends sooner than this (ms) without any event or bookmark counts as a failure (client-go: 1 s). */
export const VERY_SHORT_WATCH_MS = 1_000;

/** What the I/O layer must do. At most one of list/watch/sleep per step, always last. */
export type WatchAction =
  /** `limit` absent: one unpaginated list. */
  | { type: "list"; resourceVersion?: string; continue?: string; limit?: number }
  /**
   * A streaming list: a watch with `sendInitialEvents` from `resourceVersion` ("": a consistent read);
   * report `listDone` at the initial-events-end bookmark, `listError` on failure, `streamEnded` on a
   * clean end before it.
   */
  | { type: "watchList"; resourceVersion: string; timeoutSeconds: number; inactivityTimeoutMs: number }
  /** The server refused streaming lists: list with pages from now on (remember it for this type). */
  | { type: "disableWatchList" }
  | { type: "replaceStore"; resourceVersion: string }
  | { type: "applyEvent"; event: WatchEvent }
  | {
      type: "watch";
      resourceVersion: string;
      timeoutSeconds: number;
      allowWatchBookmarks: true;
      inactivityTimeoutMs: number;
    }
  /** Open a short watch from `resourceVersion` beside the main one; report it as `probeResult`. */
  | { type: "probe"; resourceVersion: string; timeoutSeconds: number; allowWatchBookmarks: true; deadlineMs: number }
  /** Close the main watch (it is stale); report `watchAbandoned` once it is closed. */
  | { type: "abandonWatch" }
  | { type: "sleep"; ms: number }
  /** A failure the state machine found itself (a very short watch): report it like an API error. */
  | { type: "reportFailure"; error: WatchFailure }
  | { type: "log"; level: "debug" | "info" | "warn"; message: string };

/** The result of one transition. */
export interface WatchStep {
  state: WatchState;
  actions: WatchAction[];
}

/** Tunables of the loop. */
export interface WatchLoopOptions {
  /** Page size of lists (client-go: 500). */
  pageSize: number;
  /** Server-side watch timeout range in seconds (client-go: 300-600); min === max fixes it. */
  watchTimeoutSeconds: { min: number; max: number };
  /** No event nor bookmark for this long aborts and re-opens the watch. */
  inactivityTimeoutMs: number;
  /** No event, bookmark nor quiet probe for this long sends a watch probe; 0 turns probes off. */
  probeAfterMs: number;
  /** The probe delay while the watch is stale (to see soon that it is live again). */
  staleProbeAfterMs: number;
  /** Server-side timeout of a probe (seconds). */
  probeTimeoutSeconds: number;
  /** Client-side deadline of a probe: no clean end by then means the path is broken. */
  probeDeadlineMs: number;
  /** Retry delays after failures. */
  backoff: BackoffConfig;
  /** Failure-free time after which the backoff starts over. */
  backoffResetAfterMs: number;
  /** Lists are streaming lists (WatchList) until the server refuses; off here, on in the `Informer`. */
  watchList: boolean;
}

/**
 * Defaults. The inactivity timeout is 2.5x the ~60 s bookmark period of the API server, so one
 * late bookmark does not trigger a reconnect.
 */
export const DEFAULT_WATCH_LOOP_OPTIONS: Readonly<WatchLoopOptions> = Object.freeze({
  pageSize: 500,
  watchTimeoutSeconds: Object.freeze({ min: 300, max: 600 }),
  inactivityTimeoutMs: 150_000,
  probeAfterMs: 20_000,
  staleProbeAfterMs: 5_000,
  probeTimeoutSeconds: 1,
  probeDeadlineMs: 5_000,
  backoff: DEFAULT_WATCH_BACKOFF,
  backoffResetAfterMs: DEFAULT_BACKOFF_RESET_AFTER_MS,
  watchList: false,
});

/** The outside world a transition may read: time, randomness, options. */
export interface StepContext {
  now: number;
  /** Uniform in [0, 1). */
  random: () => number;
  options: WatchLoopOptions;
}

/** The first step: list from the watch cache. */
export function initialStep(context: StepContext): WatchStep {
  const state = listing("0", HEALTHY, context);
  return { state, actions: [listAction(state, context)] };
}

/** One transition. Inputs that make no sense in a state leave it unchanged, without actions. */
export function step(state: WatchState, input: WatchInput, context: StepContext): WatchStep {
  if (input.type === "stop") return { state: { kind: "Stopped", health: state.health }, actions: [] };
  switch (state.kind) {
    case "Listing":
      return stepListing(state, input, context);
    case "Watching":
      return stepWatching(state, input, context);
    case "Backoff":
      return stepBackoff(state, input, context);
    case "Stopped":
      return unchanged(state);
  }
}

function stepListing(state: ListingState, input: WatchInput, context: StepContext): WatchStep {
  switch (input.type) {
    case "listPage": {
      const next: ListingState = { ...state, continue: input.continue };
      return { state: next, actions: [listAction(next, context)] };
    }
    case "listDone": {
      // A list that went through is health: probes turn green now, not at the first event.
      const next: WatchingState = { kind: "Watching", resourceVersion: input.resourceVersion, health: healthy(state.health) };
      if (state.resourceVersion === "") next.afterRelist = true;
      return {
        state: next,
        actions: [{ type: "replaceStore", resourceVersion: input.resourceVersion }, watchAction(next, context)],
      };
    }
    case "listError": {
      if (input.error.gone && state.continue !== undefined) {
        // An expired continue token: the pages so far are useless. Another paged list could
        // expire the same way on a large, busy type, so fall back to one full list from etcd.
        const next: ListingState = { kind: "Listing", resourceVersion: "", unpaged: true, health: failed(state.health, context) };
        return {
          state: next,
          actions: [
            { type: "log", level: "info", message: `list continuation expired (${input.error.message}); relisting in one request` },
            listAction(next, context),
          ],
        };
      }
      if (state.streaming && refusesWatchList(input.error)) {
        return fallBackToPages(state, `the server refused a streaming list (${input.error.message})`, context);
      }
      return fail(state, { kind: "Listing", resourceVersion: state.resourceVersion }, input.error, context, "list");
    }
    case "streamEnded":
      if (!state.streaming) return unchanged(state);
      return fallBackToPages(
        state,
        `a streaming list ended after ${input.events} event(s) without the initial-events-end bookmark`,
        context,
      );
    default:
      return unchanged(state);
  }
}

/** Lists with pages from now on; the paged list goes at once (the refusal was an answer, not an outage). */
function fallBackToPages(state: ListingState, why: string, context: StepContext): WatchStep {
  const next: ListingState = { kind: "Listing", resourceVersion: state.resourceVersion, health: state.health };
  return {
    state: next,
    actions: [
      { type: "log", level: "info", message: `${why}; listing with pages from now on` },
      { type: "disableWatchList" },
      listAction(next, context),
    ],
  };
}

/** A new Listing state: streaming when `watchList` is on. */
function listing(resourceVersion: "0" | "", health: LoopHealth, context: StepContext): ListingState {
  const state: ListingState = { kind: "Listing", resourceVersion, health };
  if (context.options.watchList) state.streaming = true;
  return state;
}

function stepWatching(state: WatchingState, input: WatchInput, context: StepContext): WatchStep {
  switch (input.type) {
    case "watchEvent": {
      const { event } = input;
      const rv = event.object?.metadata?.resourceVersion;
      // Any event or bookmark proves the watch is healthy: the streak of errors ends here.
      const { afterRelist: _proven, ...rest } = state;
      const next: WatchingState = { ...rest, resourceVersion: rv || state.resourceVersion, health: healthy(state.health) };
      if (event.type === "BOOKMARK") return { state: next, actions: [] };
      if (event.type === "ERROR") return unchanged(state); // the I/O layer turns these into watchError
      return { state: next, actions: [{ type: "applyEvent", event }] };
    }
    case "watchClosed": {
      if (input.events === 0 && input.durationMs < VERY_SHORT_WATCH_MS) {
        const error: WatchFailure = {
          gone: false,
          message: `very short watch: closed after ${Math.round(input.durationMs)} ms without any event`,
        };
        const failure = fail(state, { kind: "Watching", resourceVersion: state.resourceVersion }, error, context, "watch");
        return { state: failure.state, actions: [{ type: "reportFailure", error }, ...failure.actions] };
      }
      // A new watch: a probe of the old one is dropped with it.
      const { probing: _dropped, ...rest } = state;
      const next: WatchingState = { ...rest, health: healthy(state.health) };
      return {
        state: next,
        actions: [
          { type: "log", level: "debug", message: `watch closed by the server; resuming from ${state.resourceVersion}` },
          watchAction(next, context),
        ],
      };
    }
    case "inactivityTimeout": {
      const { probing: _dropped, ...rest } = state;
      return {
        state: rest,
        actions: [
          {
            type: "log",
            level: "warn",
            message: `no event nor bookmark for ${context.options.inactivityTimeoutMs} ms; re-opening the watch from ${state.resourceVersion}`,
          },
          watchAction(state, context),
        ],
      };
    }
    case "probeDue":
      if (state.probing) return unchanged(state);
      return {
        state: { ...state, probing: true },
        actions: [
          {
            type: "probe",
            resourceVersion: state.resourceVersion,
            timeoutSeconds: context.options.probeTimeoutSeconds,
            allowWatchBookmarks: true,
            deadlineMs: context.options.probeDeadlineMs,
          },
        ],
      };
    case "probeResult":
      return stepProbeResult(state, input.outcome);
    case "watchAbandoned": {
      const { probing: _ended, ...rest } = state;
      return {
        state: rest,
        actions: [
          { type: "log", level: "info", message: `re-opening the stale watch from ${state.resourceVersion}` },
          watchAction(rest, context),
        ],
      };
    }
    case "watchError":
      if (input.error.gone) {
        return relist(state, context, `resourceVersion ${state.resourceVersion} is too old (${input.error.message}); relisting`);
      }
      return fail(state, { kind: "Watching", resourceVersion: state.resourceVersion }, input.error, context, "watch");
    default:
      return unchanged(state);
  }
}

/**
 * The probe's verdict. Events the main watch delivered while the probe ran do not count as missed:
 * only a change newer than the last resourceVersion the main watch has seen now (or one that cannot
 * be ordered against it) proves the main watch silent.
 */
function stepProbeResult(state: WatchingState, outcome: ProbeOutcome): WatchStep {
  const { probing: _ended, ...rest } = state;
  let why: string | undefined;
  if (outcome.kind === "failed") {
    why = `the watch probe failed (${outcome.error.message}): no working path to the API server`;
  } else if (outcome.kind === "events") {
    const order = compareResourceVersions(state.resourceVersion, outcome.newestResourceVersion);
    if (order === undefined || order < 0) {
      why = `the watch probe saw changes up to ${outcome.newestResourceVersion} that the watch (at ${state.resourceVersion}) did not deliver`;
    }
  }
  // A quiet probe is a successful request for this type: it ends staleness and the error streak.
  if (why === undefined) return { state: { ...rest, health: healthy(state.health) }, actions: [] };
  return {
    state: { ...rest, health: { ...state.health, stale: true } },
    actions: [{ type: "log", level: "warn", message: `watch is stale: ${why}; re-opening it` }, { type: "abandonWatch" }],
  };
}

/**
 * True when an informer has had no sign of life (event, bookmark, list, quiet probe) for longer than
 * a healthy one ever is with probes on: a probe is due after `probeAfterMs` of silence and answers
 * within `probeDeadlineMs`, so more than their sum (plus 2 s of slack for timers) means the probes
 * are failing or cannot even start (the watch keeps failing to connect, the loop is backing off).
 * Never with probes off: a quiet type is then silent for minutes.
 */
export function silentTooLong(silentMs: number, options: WatchLoopOptions): boolean {
  if (options.probeAfterMs <= 0) return false;
  return silentMs > options.probeAfterMs + options.probeDeadlineMs + 2_000;
}

/**
 * How long the main watch may be silent before a probe: `probeAfterMs`, or `staleProbeAfterMs` while
 * stale; 0 when probes are off or the state is not watching.
 */
export function probeDelayMs(state: WatchState, options: WatchLoopOptions): number {
  if (state.kind !== "Watching" || options.probeAfterMs <= 0) return 0;
  return state.health.stale ? Math.min(options.staleProbeAfterMs, options.probeAfterMs) : options.probeAfterMs;
}

function stepBackoff(state: BackoffState, input: WatchInput, context: StepContext): WatchStep {
  if (input.type !== "backoffElapsed") return unchanged(state);
  if (state.then.kind === "Listing") {
    const next = listing(state.then.resourceVersion, state.health, context);
    return { state: next, actions: [listAction(next, context)] };
  }
  if (input.relist) {
    // A list from etcd (resourceVersion ""): the cache is known current once it is in, whatever
    // happened to the server's history meanwhile; a resumed watch could still answer 410 after it.
    const next: ListingState = { kind: "Listing", resourceVersion: "", health: state.health };
    return {
      state: next,
      actions: [
        {
          type: "log",
          level: "info",
          message: `listing again after the interruption instead of resuming from ${state.then.resourceVersion}`,
        },
        listAction(next, context),
      ],
    };
  }
  const next: WatchingState = { kind: "Watching", resourceVersion: state.then.resourceVersion, health: state.health };
  return { state: next, actions: [watchAction(next, context)] };
}

/**
 * A relist after 410. The first one goes at once; a 410 that follows another failure, or a relist
 * whose watch brought no event yet, backs off, so a server that keeps answering 410 is not hammered.
 */
function relist(state: WatchingState, context: StepContext, why: string): WatchStep {
  const { health } = state;
  if (health.consecutiveErrors > 0 || state.afterRelist) {
    return fail({ health }, { kind: "Listing", resourceVersion: "" }, { gone: true, message: why }, context, "relist");
  }
  const next = listing("", failed(health, context), context);
  return { state: next, actions: [{ type: "log", level: "info", message: why }, listAction(next, context)] };
}

function fail(
  state: { health: LoopHealth },
  then: BackoffState["then"],
  error: WatchFailure,
  context: StepContext,
  what: string,
): WatchStep {
  const health = failed(state.health, context);
  const jittered = nextDelay(health.backoff.attempt, context.options.backoff, context.random);
  const delayMs = Math.max(jittered, error.retryAfterMs ?? 0);
  const next: BackoffState = { kind: "Backoff", delayMs, until: context.now + delayMs, then, health };
  const status = error.statusCode !== undefined ? ` (${error.statusCode})` : "";
  return {
    state: next,
    actions: [
      {
        type: "log",
        level: "warn",
        message: `${what} failed${status}: ${error.message}; retry #${health.backoff.attempt} in ${delayMs} ms`,
      },
      { type: "sleep", ms: delayMs },
    ],
  };
}

function failed(health: LoopHealth, context: StepContext): LoopHealth {
  return {
    ...health, // a stale watch stays stale through failures: only a sign of life ends it
    backoff: recordFailure(health.backoff, context.now, context.options.backoffResetAfterMs),
    consecutiveErrors: health.consecutiveErrors + 1,
  };
}

/** Ends the streak of consecutive errors and staleness; the backoff keeps counting (see {@link LoopHealth}). */
function healthy(health: LoopHealth): LoopHealth {
  return health.consecutiveErrors === 0 && !health.stale ? health : { backoff: health.backoff, consecutiveErrors: 0 };
}

function listAction(state: ListingState, context: StepContext): WatchAction {
  if (state.streaming) {
    // client-go streams from the last synced version, "" at first: a consistent read, served from
    // the watch cache once it has caught up with etcd.
    const { min, max } = context.options.watchTimeoutSeconds;
    return {
      type: "watchList",
      resourceVersion: "",
      timeoutSeconds: min + Math.floor(context.random() * (max - min + 1)),
      inactivityTimeoutMs: context.options.inactivityTimeoutMs,
    };
  }
  if (state.unpaged) return { type: "list", resourceVersion: state.resourceVersion };
  // A continued page carries only the token: the server rejects a resourceVersion other than
  // "0" next to one, and the token already pins the snapshot.
  if (state.continue !== undefined) return { type: "list", continue: state.continue, limit: context.options.pageSize };
  return { type: "list", resourceVersion: state.resourceVersion, limit: context.options.pageSize };
}

function watchAction(state: WatchingState, context: StepContext): WatchAction {
  const { min, max } = context.options.watchTimeoutSeconds;
  return {
    type: "watch",
    resourceVersion: state.resourceVersion,
    timeoutSeconds: min + Math.floor(context.random() * (max - min + 1)),
    allowWatchBookmarks: true,
    inactivityTimeoutMs: context.options.inactivityTimeoutMs,
  };
}

function unchanged(state: WatchState): WatchStep {
  return { state, actions: [] };
}

/**
 * Reads an API failure out of anything the client threw or a watch `ERROR` event's Status:
 * `statusCode`/`code` 410 means Gone. Unknown errors (network resets, TLS) are plain failures.
 */
export function classifyFailure(error: unknown): WatchFailure {
  if (error && typeof error === "object") {
    const e = error as { statusCode?: unknown; code?: unknown; message?: unknown; retryAfterSeconds?: unknown; reason?: unknown };
    const statusCode = typeof e.statusCode === "number" ? e.statusCode : typeof e.code === "number" ? e.code : undefined;
    const message = typeof e.message === "string" && e.message !== "" ? e.message : typeof e.reason === "string" ? e.reason : String(error);
    const failure: WatchFailure = { gone: statusCode === 410, message };
    if (statusCode !== undefined) failure.statusCode = statusCode;
    if (typeof e.retryAfterSeconds === "number") failure.retryAfterMs = e.retryAfterSeconds * 1000;
    return failure;
  }
  return { gone: false, message: String(error) };
}

/** The failure carried by a watch `ERROR` event (its object is a `Status`). */
export function failureFromErrorEvent(object: KubeObject): WatchFailure {
  return classifyFailure(object);
}
