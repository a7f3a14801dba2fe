/**
 * The informer: keeps an {@link ObjectStore} in step with the API server for one resource type
 * (list, then watch) and tells listeners what changed.
 *
 * This is thin I/O around the pure state machine in `watch-state.ts`, which decides what to do
 * after every list page, event, close and error. We write our own instead of using
 * @kubernetes/client-node's `makeInformer` because that one stops for good on any error other
 * than 410 and timeouts (a 403 while RBAC is being set up, a 500, a reset connection), lists
 * without pagination, never asks for bookmarks or a server-side timeout, and reconnects quiet
 * watches every 30 s. This informer never gives up: every failure backs off and retries until
 * `start`'s signal aborts.
 *
 * Guarantees: listeners see every change as ADDED/MODIFIED/DELETED (never BOOKMARK or ERROR),
 * in watch order, synchronously from the loop; after a relist they see the difference with the
 * previous content, deletions included. A listener that throws is logged and skipped.
 *
 * The informer is the only writer of its cache (kube-rs's reflector `Writer`): the watch loop, and
 * the write answers the runtime hands it through {@link Informer.recordWrite} and
 * {@link Informer.recordDelete}; everyone else reads through {@link Informer.store}, a
 * {@link CacheReader}. Every object stored, whatever its way in, gets apiVersion/kind filled and
 * the `transform` applied. A write answer updates what readers see but never what listeners are
 * compared against, so it can save a write and can never hide a watch event (see `ObjectStore`).
 *
 * Current or behind: a watch that broke (connection lost, a 5xx) or answered 410 leaves a cache
 * that may miss changes, and a resumed watch cannot be trusted to replay them (etcd may have been
 * compacted meanwhile: the watch would answer 410 only after the syncs read the old objects). Such
 * an informer is *behind* ({@link Informer.isCurrent} false) until its next list is in: its next
 * attempt lists from etcd instead of resuming the watch. Controllers hold their syncs while an
 * informer they read is behind ({@link Informer.onCurrentChange}). Unless its lists are refused
 * for good: refusals (403, 404: RBAC removed, the type no longer served) that last 10 s end the
 * hold, the cache is served as it is and the informer keeps listing (a hold no wait ends would
 * stall every parent of its controllers for ever).
 */
import type { KubeClient } from "../kube/client.js";
import type { KubeObject, ResourceType, WatchEvent } from "../core/kube-object.js";
import { noopLogger, type Logger } from "../observability/logger.js";
import { DEFAULT_WATCH_BACKOFF, resolveBackoff, type BackoffConfig } from "../core/backoff.js";
import { cacheLabel, type CacheScope } from "./cache-scope.js";
import { compareResourceVersions } from "./resource-version.js";
import { ObjectStore, type CacheReader, type StoreEvent } from "./object-store.js";
import { streamList } from "./stream-list.js";
import {
  classifyFailure,
  DEFAULT_WATCH_LOOP_OPTIONS,
  failureFromErrorEvent,
  initialStep,
  probeDelayMs,
  silentTooLong,
  step,
  type ProbeOutcome,
  type StepContext,
  type WatchAction,
  type WatchFailure,
  type WatchInput,
  type WatchLoopOptions,
  type WatchState,
} from "./watch-state.js";

/**
 * The part of `KubeClient` the informer needs. With `clusterHealth` (a real `KubeClient` has it),
 * a backoff ends as soon as the cluster comes back instead of waiting out the delay built up
 * while it was down.
 */
export type ListWatchClient = Pick<KubeClient, "list" | "watch"> & Partial<Pick<KubeClient, "clusterHealth" | "resetConnections">>;

/** A change as listeners see it. */
export type InformerEvent = StoreEvent;
/** Called synchronously for every change. */
export type InformerListener = (event: InformerEvent) => void;

/** Options of {@link Informer}. */
export interface InformerOptions {
  client: ListWatchClient;
  type: ResourceType;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * List and watch metadata only (`PartialObjectMetadata`): objects are cached with the type's own
   * apiVersion/kind and only `metadata` (what client-go's metadata informer does).
   */
  metadataOnly?: boolean;
  /**
   * Tells informers of one type and selectors apart in names (runnables, readiness, logs), e.g. a
   * related type's cache transform; it changes nothing else.
   */
  variant?: string;
  logger?: Logger;
  /** Label keys the store indexes for `store.byLabel` (e.g. the tracking label). */
  indexLabels?: readonly string[];
  /** No event nor bookmark for this long re-opens the watch. Default 150 s. */
  inactivityTimeoutMs?: number;
  /**
   * No event nor bookmark for this long sends a watch probe (see `watch-state.ts`). Default 20 s;
   * 0 turns probes off (then only the inactivity timeout notices a silent watch).
   */
  probeAfterMs?: number;
  /** Server-side watch timeout: a fixed number of seconds, or the default 300-600 s at random. */
  watchTimeoutSeconds?: number | { min: number; max: number };
  /** List page size. Default 500. */
  pageSize?: number;
  /**
   * Fill the cache with streaming lists (WatchList: a watch with `sendInitialEvents=true`) instead
   * of paginated LISTs; the informer falls back to pages for good when the server refuses (see
   * `watch-list.ts`). Default false: measured at 10,000 objects on v1.37 (bench/README.md "Streaming
   * lists"), streaming took ~2x the API server's CPU and synced slower than pages served from its
   * watch cache, so pages stay the default until a case where streaming pays is measured.
   */
  watchList?: boolean;
  /** Retry delays of the list/watch loop. Default 800 ms doubling, capped at 30 s. */
  backoff?: Partial<BackoffConfig>;
  /** Watch restart and cache size metrics (`Metrics` satisfies this). */
  metrics?: InformerMetrics;
  /**
   * Applied to every object before it is stored (list items, watch events, write responses), e.g.
   * to drop `managedFields` entries nobody reads: a cache holds every object of a type, so what is
   * dropped here is saved once per object.
   */
  transform?: (obj: KubeObject) => KubeObject;
  /** Told about every list/watch failure (the loop retries by itself). */
  onError?: (error: unknown, failure: WatchFailure) => void;
}

/** Metric callbacks of an informer; `resource` is `plural` or `plural.group`. */
export interface InformerMetrics {
  /** A watch is re-opened: reason "closed", "inactivity", "stale", "gone" or "error". */
  watchRestart(resource: string, reason: string): void;
  /**
   * The cache now holds `count` objects. `cache` names the informer among those of its resource
   * (its namespace, selectors and cache options, see `cache-scope.ts`): a child cache and a related
   * cache of one type are two series.
   */
  informerObjects(resource: string, count: number, cache?: string): void;
  /** A watch probe ended: "quiet" (the watch is fine), "missed" (it missed events) or "failed". */
  watchProbe?(resource: string, result: "quiet" | "missed" | "failed"): void;
  /**
   * Registers how to read the informer's staleness: seconds since the last event, bookmark, list
   * or quiet probe (since start before any). Read at scrape time.
   */
  informerStaleness?(resource: string, secondsSinceFresh: () => number): void;
}

/** What probes and metrics read. */
export interface InformerHealth {
  /** The state machine's state: Listing, Watching, Backoff, Stopped (or "NotStarted"). */
  state: WatchState["kind"] | "NotStarted";
  synced: boolean;
  /** When the last watch event or bookmark arrived (ms since the epoch). */
  lastEventAt?: number;
  /** When the last sign of life came: an event, bookmark, list, or quiet watch probe (ms since the epoch). */
  freshAt?: number;
  /**
   * A watch probe found the watch stale (it missed events, or the server is unreachable), or no sign
   * of life came for longer than probes allow (see `silentTooLong`): readiness red.
   */
  stale: boolean;
  consecutiveErrors: number;
  lastError?: string;
  resourceVersion?: string;
  objects: number;
}

/** List+watch loop over one resource type. See the module comment. */
export class Informer {
  /** The cache; written only here (watch loop, recordWrite, recordDelete). */
  private readonly cache: ObjectStore;
  private readonly listeners = new Set<InformerListener>();
  private readonly log: Logger;
  /** Not readonly: `disableWatchList` turns streaming lists off for good. */
  private loopOptions: WatchLoopOptions;
  private state: WatchState | undefined;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private listBuffer: KubeObject[] = [];
  private lastEventAt: number | undefined;
  private freshAt: number | undefined;
  private startedAt = Date.now();
  private lastError: string | undefined;
  /** The last failure was a 410 (a relist after it may skip the outage's backoff). */
  private lastFailureGone = false;
  /** A failure left the cache possibly missing changes; cleared by the next list (see the module comment). */
  private interrupted = false;
  /**
   * When the refusals (403, 404...) of an informer that is behind began; undefined when not refused.
   * Refusals that last {@link REFUSED_HOLD_MAX_MS} end the hold (see {@link isCurrent}).
   */
  private refusedSince: number | undefined;
  /** Set by the first refusal {@link REFUSED_HOLD_MAX_MS} after `refusedSince` (a failure, so listeners hear the change). */
  private refusedLong = false;
  private readonly currentListeners = new Set<(current: boolean) => void>();
  private started = false;
  private readonly resource: string;
  /** The `cache` label of this informer's object count (see `cache-scope.ts`). */
  private readonly cacheLabel: string;

  constructor(private readonly options: InformerOptions) {
    this.cache = new ObjectStore(options.indexLabels ?? []);
    this.resource = options.type.group ? `${options.type.plural}.${options.type.group}` : options.type.plural;
    this.cacheLabel = cacheLabel(this.scope);
    this.log = (options.logger ?? noopLogger).child({
      informer: this.resource,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    const timeout = options.watchTimeoutSeconds;
    this.loopOptions = {
      ...DEFAULT_WATCH_LOOP_OPTIONS,
      pageSize: options.pageSize ?? DEFAULT_WATCH_LOOP_OPTIONS.pageSize,
      inactivityTimeoutMs: options.inactivityTimeoutMs ?? DEFAULT_WATCH_LOOP_OPTIONS.inactivityTimeoutMs,
      probeAfterMs: options.probeAfterMs ?? DEFAULT_WATCH_LOOP_OPTIONS.probeAfterMs,
      watchTimeoutSeconds:
        timeout === undefined
          ? DEFAULT_WATCH_LOOP_OPTIONS.watchTimeoutSeconds
          : typeof timeout === "number"
            ? { min: timeout, max: timeout }
            : timeout,
      backoff: resolveBackoff(options.backoff, DEFAULT_WATCH_BACKOFF),
      watchList: options.watchList ?? false,
    };
  }

  /** The cache, read-only. Treat its objects as immutable. */
  get store(): CacheReader {
    return this.cache;
  }

  /**
   * Starts indexing label `labelKey` for `store.byLabel` (no-op when already indexed), e.g. when a
   * second operator shares this informer.
   */
  addIndex(labelKey: string): void {
    this.cache.addIndex(labelKey);
  }

  /** The resource type watched. */
  get type(): ResourceType {
    return this.options.type;
  }

  /** Which objects of the type it holds, and in what form (for names in logs and readiness checks). */
  get scope(): CacheScope {
    const { namespace, labelSelector, fieldSelector, metadataOnly, variant } = this.options;
    return {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
      ...(metadataOnly ? { metadataOnly } : {}),
      ...(variant ? { variant } : {}),
    };
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  on(listener: InformerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True once the first list has filled the store. */
  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * True when the cache can be synced from: listed, and no failure since the last list or watch
   * event left it possibly missing changes (see the module comment).
   */
  isCurrent(): boolean {
    return this.synced && (!this.interrupted || this.refusedLong);
  }

  /**
   * Counts a refusal of an informer that is behind. Behind, but the lists have been refused (a 4xx
   * other than 429: RBAC removed, the type no longer served) for {@link REFUSED_HOLD_MAX_MS}: no wait will bring the cache up to date, so holding the
   * syncs would stall every parent of the controllers reading it (of every namespace of a scope),
   * for ever. The cache is served as it is (as client-go's is) while the informer keeps listing; a
   * refusal shorter than that (a restarted server answers 403 until its RBAC is loaded) keeps the hold.
   */
  private noteRefusal(): void {
    const now = Date.now();
    this.refusedSince ??= now;
    if (now - this.refusedSince >= REFUSED_HOLD_MAX_MS) this.refusedLong = true;
  }

  /**
   * Calls `listener` with the new {@link isCurrent} each time it changes (false when a watch
   * breaks, true when the list after it is in); returns the unsubscribe function.
   */
  onCurrentChange(listener: (current: boolean) => void): () => void {
    this.currentListeners.add(listener);
    return () => this.currentListeners.delete(listener);
  }

  /** Resolves once the first list has filled the store; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason ?? new Error("aborted"));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /**
   * Records the answer of our own create/update/patch/apply: readers see it at once when it is
   * newer than what the cache holds (so the sync its watch event triggers writes nothing), while
   * listeners still hear of that change, and of every change before it, from the watch. Returns
   * whether the cache took it (not when older, or when the watch already reported it deleted).
   * `basedOn`: the resourceVersion precondition the write carried (see `ObjectStore.upsertFromWrite`).
   */
  recordWrite(obj: KubeObject, options: { basedOn?: string } = {}): boolean {
    return this.cache.upsertFromWrite(this.withTypeMeta(obj), options.basedOn);
  }

  /**
   * Records a successful delete of `obj` (its resourceVersion is the version the delete acted on:
   * an object re-created meanwhile at a newer version stays). Listeners hear of it from the watch.
   * Returns whether something was removed.
   */
  recordDelete(obj: KubeObject): boolean {
    const meta = obj.metadata ?? {};
    if (!meta.name) return false;
    return this.cache.removeFromWrite(meta.namespace, meta.name, meta.resourceVersion);
  }

  /** Health for probes and metrics. */
  health(): InformerHealth {
    const s = this.state;
    const health: InformerHealth = {
      state: s?.kind ?? "NotStarted",
      synced: this.synced,
      stale: s?.health.stale === true || (this.synced && silentTooLong(Date.now() - (this.freshAt ?? this.startedAt), this.loopOptions)),
      consecutiveErrors: s?.health.consecutiveErrors ?? 0,
      objects: this.store.size,
    };
    if (this.lastEventAt !== undefined) health.lastEventAt = this.lastEventAt;
    if (this.freshAt !== undefined) health.freshAt = this.freshAt;
    if (this.lastError !== undefined && health.consecutiveErrors > 0) health.lastError = this.lastError;
    if (s?.kind === "Watching") health.resourceVersion = s.resourceVersion;
    return health;
  }

  /** Runs the list/watch loop until `signal` aborts; never ends on errors. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer for ${this.options.type.plural} already started`);
    this.started = true;
    this.startedAt = Date.now();
    this.options.metrics?.informerStaleness?.(this.resource, () => (Date.now() - (this.freshAt ?? this.startedAt)) / 1000);
    let next = initialStep(this.context());
    this.state = next.state;
    let actions = next.actions;
    while (!signal.aborted) {
      const input = await this.perform(actions, signal);
      this.countRestart(input);
      next = step(this.state, signal.aborted ? { type: "stop" } : input, this.context());
      this.state = next.state;
      actions = next.actions;
      if (this.state.kind === "Stopped") break;
    }
    this.state = step(this.state, { type: "stop" }, this.context()).state;
  }

  private countRestart(input: WatchInput): void {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const reason =
      input.type === "watchClosed"
        ? "closed"
        : input.type === "inactivityTimeout"
          ? "inactivity"
          : input.type === "watchAbandoned"
            ? "stale"
            : input.type === "watchError"
              ? input.error.gone
                ? "gone"
                : "error"
              : undefined;
    if (reason) metrics.watchRestart(this.resource, reason);
  }

  private context(): StepContext {
    return { now: Date.now(), random: Math.random, options: this.loopOptions };
  }

  /** Performs the actions of one step; the last one is the I/O whose outcome is the next input. */
  private async perform(actions: WatchAction[], signal: AbortSignal): Promise<WatchInput> {
    for (const action of actions) {
      switch (action.type) {
        case "log":
          this.log[action.level](action.message);
          break;
        case "replaceStore":
          this.commitList(action.resourceVersion);
          break;
        case "applyEvent":
          this.applyEvent(action.event);
          break;
        case "reportFailure":
          // A watch the server closed at once with nothing in it: the path misbehaves, nothing was missed.
          this.failed(new Error(action.error.message), action.error, false);
          break;
        case "disableWatchList":
          this.loopOptions = { ...this.loopOptions, watchList: false };
          break;
        case "list":
          return this.listPage(action, signal);
        case "watchList":
          return this.streamList(action, signal);
        case "watch":
          return this.runWatch(action, signal);
        case "sleep":
          return this.backoffWait(action.ms, signal).then(
            (): WatchInput => ({
              type: "backoffElapsed",
              ...(this.interrupted ? { relist: true } : {}),
            }),
          );
      }
    }
    // Every state but Stopped ends its actions with I/O; reaching here means nothing is left to do.
    return { type: "stop" };
  }

  /**
   * Waits out a backoff, shared-health aware: the wait ends early (after 0-250 ms jitter) when the
   * cluster comes back, so recovery follows the server, not each loop's grown delay. A relist after
   * 410 while the cluster is healthy waits at most {@link HEALTHY_RELIST_MAX_MS}: the 410 itself
   * came from a working server, and the delay built up during an outage must not hold it back
   * (the cap still keeps a server that answers 410 to every watch from being hammered). Likewise an
   * informer that is behind, in the first {@link RECENT_RECOVERY_MS} after the cluster came back:
   * its controllers hold their syncs until it has listed, and a list refused while the restarted
   * server finishes starting (403 before RBAC is loaded, 503) must not wait out the outage's delay.
   */
  private backoffWait(ms: number, signal: AbortSignal): Promise<unknown> {
    const health = this.options.client.clusterHealth;
    if (!health) return sleepUnlessAborted(ms, signal);
    const s = this.state;
    const relistAfterGone = this.lastFailureGone && s?.kind === "Backoff" && s.then.kind === "Listing" && s.then.resourceVersion === "";
    const recentlyBack =
      health.kind === "healthy" && health.recoveredAt !== undefined && Date.now() - health.recoveredAt < RECENT_RECOVERY_MS;
    const prompt = (relistAfterGone && health.kind === "healthy") || (this.interrupted && recentlyBack);
    const wait = prompt ? Math.min(ms, Math.round(HEALTHY_RELIST_MAX_MS * (0.5 + Math.random() / 2))) : ms;
    return health.waitForRetry(wait, signal);
  }

  private async listPage(action: Extract<WatchAction, { type: "list" }>, signal: AbortSignal): Promise<WatchInput> {
    if (action.continue === undefined) this.listBuffer = [];
    try {
      const page = await this.options.client.list(this.options.type, {
        ...this.selectors(),
        limit: action.limit,
        ...(action.continue !== undefined ? { continue: action.continue } : {}),
        ...(action.resourceVersion !== undefined ? { resourceVersion: action.resourceVersion } : {}),
        signal,
      });
      for (const item of page.items) this.listBuffer.push(this.withTypeMeta(item));
      if (page.continue) return { type: "listPage", continue: page.continue };
      return { type: "listDone", resourceVersion: page.resourceVersion };
    } catch (err) {
      if (signal.aborted) return { type: "stop" };
      return { type: "listError", error: this.failed(err) };
    }
  }

  private async streamList(action: Extract<WatchAction, { type: "watchList" }>, signal: AbortSignal): Promise<WatchInput> {
    this.listBuffer = [];
    const input = await streamList(this.options.client, this.options.type, this.selectors(), action, signal, (item) =>
      this.listBuffer.push(this.withTypeMeta(item)),
    );
    if (input.type === "listError") this.failed(input.error, input.error);
    return input;
  }

  private async runWatch(action: Extract<WatchAction, { type: "watch" }>, signal: AbortSignal): Promise<WatchInput> {
    const connection = new AbortController();
    const abortConnection = (): void => connection.abort();
    signal.addEventListener("abort", abortConnection, { once: true });
    let inactive = false;
    let abandoned = false;
    const openedAt = performance.now();
    let events = 0;
    // A half-open connection never errors: only silence tells. Bookmarks (about every 60 s)
    // keep a healthy quiet watch from tripping this.
    const inactivity = setTimeout(() => {
      inactive = true;
      connection.abort();
    }, action.inactivityTimeoutMs);
    // The probe runs beside the watch and dies with it (connection.signal).
    let probeTimer: ReturnType<typeof setTimeout> | undefined;
    const armProbe = (): void => {
      clearTimeout(probeTimer);
      const delay = this.state ? probeDelayMs(this.state, this.loopOptions) : 0;
      if (delay <= 0 || connection.signal.aborted) return;
      // Silence counts from the last sign of life, not from this watch's start: a watch that keeps
      // failing to connect (each try shorter than the delay) must still be probed. While stale,
      // from now (the last probe just ended).
      const silentFor = this.state?.health.stale ? 0 : Date.now() - (this.freshAt ?? this.startedAt);
      probeTimer = setTimeout(() => onInline({ type: "probeDue" }), Math.max(0, delay - silentFor));
    };
    /** Steps an input that arrives while the watch is open; performs what it asks without ending the stream. */
    const onInline = (input: WatchInput): void => {
      if (connection.signal.aborted || this.state?.kind !== "Watching") return;
      const next = step(this.state, input, this.context());
      this.state = next.state;
      for (const a of next.actions) {
        if (a.type === "applyEvent") this.applyEvent(a.event);
        else if (a.type === "log") this.log[a.level](a.message);
        else if (a.type === "probe") {
          void this.probe(a, connection.signal).then((outcome) => {
            if (connection.signal.aborted) return;
            onInline({ type: "probeResult", outcome });
            this.options.metrics?.watchProbe?.(this.resource, outcome.kind === "failed" ? "failed" : abandoned ? "missed" : "quiet");
            // The open watch missed events while a new connection got them, or the probe got no
            // answer at all: the path holds connections open that forward nothing (a stalled proxy
            // or NAT), and the pooled connections that writes reuse are as dead as the watch.
            const deadPath = abandoned || (outcome.kind === "failed" && outcome.noAnswer === true);
            if (deadPath && this.options.client.resetConnections?.()) {
              this.log.warn("a watch was found stalled: dropped the open connections to the API server");
            }
            if (!this.state?.health.stale && !abandoned) this.freshAt = Date.now();
            armProbe();
          });
        } else if (a.type === "abandonWatch") {
          abandoned = true;
          connection.abort();
        }
      }
    };
    armProbe();
    try {
      const stream = this.options.client.watch(this.options.type, {
        ...this.selectors(),
        resourceVersion: action.resourceVersion,
        allowWatchBookmarks: action.allowWatchBookmarks,
        timeoutSeconds: action.timeoutSeconds,
        signal: connection.signal,
      });
      for await (const event of stream) {
        events++;
        inactivity.refresh();
        this.lastEventAt = this.freshAt = Date.now();
        if (event.type === "ERROR") return { type: "watchError", error: this.failed(event.object, failureFromErrorEvent(event.object)) };
        // Event steps only ever apply the event or log; nothing here ends the stream.
        onInline({ type: "watchEvent", event });
        armProbe();
      }
      if (signal.aborted) return { type: "stop" };
      if (abandoned) return { type: "watchAbandoned" };
      if (inactive) return { type: "inactivityTimeout" };
      return { type: "watchClosed", durationMs: performance.now() - openedAt, events };
    } catch (err) {
      if (signal.aborted) return { type: "stop" };
      if (abandoned) return { type: "watchAbandoned" };
      if (inactive) return { type: "inactivityTimeout" };
      return { type: "watchError", error: this.failed(err) };
    } finally {
      clearTimeout(inactivity);
      clearTimeout(probeTimer);
      connection.abort();
      signal.removeEventListener("abort", abortConnection);
    }
  }

  /**
   * A watch probe: a short watch from the main watch's resourceVersion. Never throws; the state
   * machine judges the outcome. Its deadline covers a server that accepts and then says nothing.
   */
  private async probe(action: Extract<WatchAction, { type: "probe" }>, watchSignal: AbortSignal): Promise<ProbeOutcome> {
    // A plain timer, not AbortSignal.timeout: the deadline must fire whatever holds the signal.
    const probe = new AbortController();
    const deadline = { aborted: false };
    const timer = setTimeout(() => {
      deadline.aborted = true;
      probe.abort();
    }, action.deadlineMs);
    const stopProbe = (): void => probe.abort();
    watchSignal.addEventListener("abort", stopProbe, { once: true });
    const signal = probe.signal;
    const noAnswer = (): ProbeOutcome => ({
      kind: "failed",
      error: { gone: false, message: `no answer within ${action.deadlineMs} ms` },
      noAnswer: true,
    });
    let newest: string | undefined;
    try {
      const stream = this.options.client.watch(this.options.type, {
        ...this.selectors(),
        resourceVersion: action.resourceVersion,
        allowWatchBookmarks: action.allowWatchBookmarks,
        timeoutSeconds: action.timeoutSeconds,
        signal,
      });
      for await (const event of stream) {
        if (event.type === "ERROR") return { kind: "failed", error: failureFromErrorEvent(event.object) };
        if (event.type === "BOOKMARK") continue;
        const rv = event.object?.metadata?.resourceVersion ?? "";
        if (newest === undefined || (compareResourceVersions(rv, newest) ?? 1) > 0) newest = rv;
      }
      if (deadline.aborted) return noAnswer();
      return newest === undefined ? { kind: "quiet" } : { kind: "events", newestResourceVersion: newest };
    } catch (err) {
      if (deadline.aborted) return noAnswer();
      return { kind: "failed", error: classifyFailure(err) };
    } finally {
      clearTimeout(timer);
      watchSignal.removeEventListener("abort", stopProbe);
      probe.abort();
    }
  }

  private failed(err: unknown, failure: WatchFailure = classifyFailure(err), mayHaveMissed = true): WatchFailure {
    this.lastError = failure.message;
    this.lastFailureGone = failure.gone;
    const was = this.isCurrent();
    if (mayHaveMissed && interrupts(failure)) {
      this.interrupted = true;
      this.refusedSince = undefined;
      this.refusedLong = false;
    } else if (this.interrupted && refuses(failure)) {
      this.noteRefusal();
    }
    const now = this.isCurrent();
    if (now !== was) this.notifyCurrent(now);
    try {
      this.options.onError?.(err, failure);
    } catch (hookError) {
      this.log.error("informer onError hook threw", { err: hookError });
    }
    return failure;
  }

  private commitList(resourceVersion: string): void {
    const items = this.listBuffer;
    this.listBuffer = [];
    const wasCurrent = this.isCurrent();
    this.interrupted = false;
    this.refusedSince = undefined;
    this.refusedLong = false;
    const events = this.cache.replace(items, resourceVersion);
    this.freshAt = Date.now();
    this.log.debug("listed", { objects: items.length, resourceVersion, changes: events.length });
    this.options.metrics?.informerObjects(this.resource, this.store.size, this.cacheLabel);
    // The first list's events are the backlog, not changes (a relist's are what the watch missed).
    const initial = !this.synced;
    for (const event of events) this.dispatch(initial ? { ...event, initialList: true } : event);
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (!wasCurrent) this.notifyCurrent(true);
  }

  private notifyCurrent(current: boolean): void {
    for (const listener of [...this.currentListeners]) {
      try {
        listener(current);
      } catch (err) {
        this.log.error("informer current-change listener threw", { err });
      }
    }
  }

  private applyEvent(event: WatchEvent): void {
    const change = this.cache.apply({ type: event.type, object: this.writtenCopy(event) ?? this.withTypeMeta(event.object) });
    if (change) this.dispatch(change);
  }

  /**
   * The cached object when `event` is the echo of our own write: same uid and resourceVersion as
   * the answer `recordWrite` stored, so the same object state (a resourceVersion names one state),
   * already typed and transformed. Most events of a busy operator are such echoes; reusing the
   * answer spares a second transform (trim and interning) of an equal object.
   */
  private writtenCopy(event: WatchEvent): KubeObject | undefined {
    if (event.type !== "ADDED" && event.type !== "MODIFIED") return undefined;
    const meta = event.object?.metadata;
    if (!meta?.name || !meta.resourceVersion || !meta.uid || this.options.metadataOnly) return undefined;
    const current = this.cache.get(meta.namespace, meta.name);
    const cur = current?.metadata;
    return cur && cur.uid === meta.uid && cur.resourceVersion === meta.resourceVersion ? current : undefined;
  }

  private dispatch(event: InformerEvent): void {
    this.options.metrics?.informerObjects(this.resource, this.store.size, this.cacheLabel);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log.error("informer listener threw", { err, event: event.type, object: event.object.metadata?.name });
      }
    }
  }

  private selectors(): { namespace?: string; labelSelector?: string; fieldSelector?: string; metadataOnly?: boolean } {
    const { namespace, labelSelector, fieldSelector, metadataOnly } = this.options;
    return {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(labelSelector !== undefined ? { labelSelector } : {}),
      ...(fieldSelector !== undefined ? { fieldSelector } : {}),
      ...(metadataOnly ? { metadataOnly } : {}),
    };
  }

  /** List items lack apiVersion/kind; a cache compared against desired objects needs them. */
  private withTypeMeta(wire: KubeObject): KubeObject {
    const { type, metadataOnly } = this.options;
    // PartialObjectMetadata carries meta.k8s.io/v1: the cache holds it as the type it describes.
    const obj = metadataOnly ? { apiVersion: type.apiVersion, kind: type.kind, metadata: wire.metadata ?? {} } : wire;
    const typed = obj.apiVersion && obj.kind ? obj : { ...obj, apiVersion: obj.apiVersion || type.apiVersion, kind: obj.kind || type.kind };
    return this.options.transform ? this.options.transform(typed) : typed;
  }
}

/**
 * Whether a failure may have cost the cache changes a resumed watch would not replay: a broken
 * connection (no status), a server error (5xx) or 410. Not a 429 (the server is fine and the watch
 * resumes where it was), nor another 4xx (RBAC, a missing type: nothing to wait for).
 */
function interrupts(failure: WatchFailure): boolean {
  return failure.gone || failure.statusCode === undefined || failure.statusCode >= 500;
}

/** A refusal no wait fixes: a 4xx other than 429 (too many requests) and 410 (gone: relist). */
function refuses(failure: WatchFailure): boolean {
  return (
    !failure.gone && failure.statusCode !== undefined && failure.statusCode >= 400 && failure.statusCode < 500 && failure.statusCode !== 429
  );
}

/** How long the lists of an informer that is behind may be refused before its controllers stop holding their syncs. */
const REFUSED_HOLD_MAX_MS = 10_000;
/** Longest wait of a relist after 410 on a healthy cluster (jittered down to half of it). */
const HEALTHY_RELIST_MAX_MS = 1_000;
/** How long after the cluster came back an informer that is behind retries within HEALTHY_RELIST_MAX_MS. */
const RECENT_RECOVERY_MS = 30_000;

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
