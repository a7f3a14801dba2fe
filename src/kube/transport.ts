/**
 * The HTTP layer of the kube client: one keep-alive undici pool per (cluster, user) for ordinary
 * requests, a second one for watches (a watch holds its HTTP/1.1 connection for minutes and
 * must not starve the bounded request pool), credentials from a `ClusterConfig`, Retry-After
 * handling, an optional token bucket, an adaptive (AIMD) concurrency limit that shrinks on 429,
 * the cluster's shared {@link ClusterHealth} fed with every outcome, a metrics hook and connection
 * counters.
 */
import type { Dispatcher } from "undici";
import { undiciDispatchers } from "./on-demand.js";
import { apiErrorFromResponse, asStatus } from "./errors.js";
import { CredentialCache, type AuthSnapshot } from "./credentials.js";
import type { ClusterConfig } from "./cluster-config.js";
import { pathTemplate } from "./paths.js";
import { sleep, TokenBucket, type RateLimitOptions } from "./rate-limiter.js";
import { AimdLimit, ConcurrencyGate, type AdaptiveConcurrencyOptions } from "./adaptive-concurrency.js";
import { ClusterHealth } from "./cluster-health.js";
import { outcomeOfResponse, type ClusterHealthOptions } from "./cluster-health-state.js";

/** One finished HTTP exchange, for metrics (controller-runtime's `rest_client_requests_total{code,method,host}`). */
export interface RequestEvent {
  method: string;
  /** Path without query, e.g. `/api/v1/namespaces/ns/configmaps/a`. */
  path: string;
  /** The path with namespace and name replaced: `/api/v1/namespaces/{namespace}/configmaps/{name}`. */
  resource: string;
  host: string;
  /** HTTP status code; 0 when no answer came (network error, abort). */
  code: number;
  durationMs: number;
  watch: boolean;
}

/** Options of `KubeClient.fromKubeConfig`. */
export interface KubeClientOptions {
  /** Most connections of the request pool (watches have their own pool). Default 32. */
  connections?: number;
  /** Most connections of the watch pool; default unlimited (one per open watch). */
  watchConnections?: number;
  /** Retries of a non-watch request answered 429, or 5xx with Retry-After. Default 5. */
  maxRetries?: number;
  /** Upper bound of one Retry-After wait in seconds. Default 30. */
  maxRetryAfterSeconds?: number;
  /** Client-side token bucket; off when not given (the server's priority and fairness answers 429). */
  rateLimit?: RateLimitOptions;
  /** Timeout for headers and between body chunks of non-watch requests, ms. Default 60 000. */
  requestTimeoutMs?: number;
  /** How long headers of exec / auth-provider / token-file credentials are reused, ms. Default 10 000. */
  authCacheMs?: number;
  /** Negotiate HTTP/2 through ALPN (undici's default); off by default: HTTP/1.1 keep-alive. */
  http2?: boolean;
  /** Sent as User-Agent. Default "tsoperator". */
  userAgent?: string;
  /** Called after each HTTP exchange (each retry counts); must not throw (errors are ignored). */
  onRequest?: (event: RequestEvent) => void;
  /**
   * Requests in flight (watches excepted) adapt to 429 answers: halved on a 429, +1 per limit's
   * worth of successes, between `min` (1) and `max` (default `connections`). `false` turns it off
   * (only the pool's `connections` bound the requests in flight).
   */
  adaptiveConcurrency?: AdaptiveConcurrencyOptions | false;
  /** Called with the adaptive limit at start and each time it changes (the concurrency-limit gauge). */
  onConcurrencyLimit?: (host: string, limit: number) => void;
  /** Probe and wake settings of the shared cluster health (see `ClusterHealth`). */
  clusterHealth?: Partial<ClusterHealthOptions>;
}

/** Counters that let a test prove bounded connection reuse. */
export interface TransportStats {
  /** HTTP exchanges sent (retries included). */
  requests: number;
  /** Retries after 429 / Retry-After / 401 / a reset idle connection. */
  retries: number;
  /** Connections opened by both pools since start. */
  connectionsOpened: number;
  /** Connections closed since start. */
  connectionsClosed: number;
  /** Currently open connections (both pools). */
  openConnections: number;
  /** Connections opened by the watch pool since start. */
  watchConnectionsOpened: number;
}

/** One request as the transport sees it. */
export interface TransportRequest {
  method: string;
  /** Path with query, relative to the server URL. */
  path: string;
  body?: string;
  contentType?: string;
  /** The Accept header (default `application/json`), e.g. to ask for `PartialObjectMetadata`. */
  accept?: string;
  signal?: AbortSignal;
}

/** A streamed answer (watch). */
export interface StreamResponse {
  statusCode: number;
  body: AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown };
}

const retryableNetworkCodes = new Set(["ECONNRESET", "UND_ERR_SOCKET", "EPIPE", "UND_ERR_CLOSED"]);

/** Sends requests to one API server with the credentials of one kubeconfig context. */
export class Transport {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly host: string;
  private readonly credentials: CredentialCache;
  private readonly limiter?: TokenBucket;
  private readonly counters: TransportStats = {
    requests: 0,
    retries: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    openConnections: 0,
    watchConnectionsOpened: 0,
  };
  private pools?: { fingerprint: string; requests: Dispatcher; watches: Dispatcher };
  private closed = false;
  private readonly gate?: ConcurrencyGate;
  /** What every loop using this transport learns about the cluster, shared. */
  readonly health: ClusterHealth;

  constructor(
    private readonly cluster: ClusterConfig,
    private readonly options: KubeClientOptions = {},
  ) {
    const url = cluster.server;
    this.origin = url.origin;
    this.host = url.host;
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.credentials = new CredentialCache(cluster, options.authCacheMs ?? 10_000);
    if (options.rateLimit) this.limiter = new TokenBucket(options.rateLimit);
    if (options.adaptiveConcurrency !== false) {
      const adaptive = options.adaptiveConcurrency ?? {};
      const aimd = new AimdLimit({ ...adaptive, max: adaptive.max ?? options.connections ?? 32 });
      const hook = options.onConcurrencyLimit;
      this.gate = new ConcurrencyGate(aimd, hook ? (limit) => this.safely(() => hook(this.host, limit)) : undefined);
      if (hook) this.safely(() => hook(this.host, aimd.limit));
    }
    this.health = new ClusterHealth(() => this.probeReady(), options.clusterHealth);
  }

  /** The adaptive concurrency limit now (undefined when turned off). */
  get concurrencyLimit(): number | undefined {
    return this.gate?.aimd.limit;
  }

  /** The server URL (origin plus any path prefix). */
  get server(): string {
    return this.origin + this.basePath;
  }

  /** A copy of the counters. */
  stats(): TransportStats {
    return { ...this.counters };
  }

  /**
   * Sends a request and returns the parsed JSON body (or the text when it is not JSON).
   * Retries 429 and 5xx-with-Retry-After answers (bounded), a 401 once with fresh dynamic
   * credentials, and a GET once whose kept-alive connection the server had closed.
   */
  async requestJson(req: TransportRequest): Promise<unknown> {
    const maxRetries = this.options.maxRetries ?? 5;
    let retriedAuth = false;
    let networkRetries = 0;
    for (let attempt = 0; ; attempt++) {
      let res: Dispatcher.ResponseData;
      let text: string;
      const release = this.gate ? await this.gate.acquire(req.signal) : undefined;
      try {
        res = await this.dispatch(req, false);
        text = await res.body.text();
      } catch (err) {
        release?.();
        this.health.record(outcomeOfResponse(0, req.signal?.aborted ?? false));
        const code = (err as { code?: string }).code;
        if (req.method === "GET" && networkRetries < 2 && code && retryableNetworkCodes.has(code) && !req.signal?.aborted) {
          networkRetries++;
          this.counters.retries++;
          continue;
        }
        throw err;
      }
      const body = parseBody(text);
      // The outcome goes with the release: a 429 must count the others in flight, not a waiter admitted in its place.
      release?.(this.limitOutcome(res.statusCode, body));
      this.health.record(outcomeOfResponse(res.statusCode, false));
      if (res.statusCode >= 200 && res.statusCode < 300) return body;
      const error = apiErrorFromResponse({
        statusCode: res.statusCode,
        method: req.method,
        path: req.path,
        body,
        retryAfterHeader: res.headers["retry-after"],
      });
      if (res.statusCode === 401 && this.credentials.isDynamic && !retriedAuth) {
        retriedAuth = true;
        this.credentials.invalidate();
        this.counters.retries++;
        continue;
      }
      const throttled = res.statusCode === 429 || (res.statusCode >= 500 && error.retryAfterSeconds !== undefined);
      if (throttled && attempt < maxRetries) {
        const seconds = Math.min(error.retryAfterSeconds ?? 1, this.options.maxRetryAfterSeconds ?? 30);
        this.counters.retries++;
        // Up to +50 % jitter: requests refused together must not all come back in the same instant
        // (the server said "not before", never "exactly then").
        await sleep(Math.max(seconds, 0.05) * 1000 * (1 + Math.random() * 0.5), req.signal);
        continue;
      }
      throw error;
    }
  }

  /** Opens a streamed request (a watch) on the watch pool; a non-2xx answer throws `ApiError`. */
  async stream(req: TransportRequest): Promise<StreamResponse> {
    let retriedAuth = false;
    for (;;) {
      let res: Dispatcher.ResponseData;
      try {
        res = await this.dispatch(req, true);
      } catch (err) {
        this.health.record(outcomeOfResponse(0, req.signal?.aborted ?? false));
        throw err;
      }
      this.health.record(outcomeOfResponse(res.statusCode, false));
      if (res.statusCode >= 200 && res.statusCode < 300) return { statusCode: res.statusCode, body: res.body };
      const body = parseBody(await res.body.text());
      if (res.statusCode === 401 && this.credentials.isDynamic && !retriedAuth) {
        retriedAuth = true;
        this.credentials.invalidate();
        this.counters.retries++;
        continue;
      }
      throw apiErrorFromResponse({
        statusCode: res.statusCode,
        method: req.method,
        path: req.path,
        body,
        retryAfterHeader: res.headers["retry-after"],
      });
    }
  }

  /**
   * Drops every open connection (both pools are destroyed; the next request opens new ones), at
   * most once per `minIntervalMs`. For a path found broken while connections stay open (a proxy or
   * NAT that stopped forwarding): requests on those connections would otherwise wait out the
   * request timeout. Their requests fail now and are retried like any other failure.
   */
  resetConnections(minIntervalMs = 10_000): boolean {
    const now = performance.now();
    if (this.closed || !this.pools || now - this.lastReset < minIntervalMs) return false;
    this.lastReset = now;
    const pools = this.pools;
    this.pools = undefined;
    void Promise.allSettled([pools.requests.destroy(), pools.watches.destroy()]);
    return true;
  }
  private lastReset = -Infinity;

  /** Closes both pools: idle connections at once, busy ones after their request (watches are aborted by their signals). */
  async close(): Promise<void> {
    this.closed = true;
    this.health.close();
    const pools = this.pools;
    this.pools = undefined;
    if (pools) await Promise.all([pools.requests.close(), pools.watches.destroy()]);
  }

  private async dispatch(req: TransportRequest, watch: boolean): Promise<Dispatcher.ResponseData> {
    if (this.closed) throw new Error("KubeClient is closed");
    const auth = await this.credentials.current();
    const pools = this.poolsFor(auth);
    if (this.limiter && !watch) await this.limiter.acquire(req.signal);
    const headers: Record<string, string | string[]> = {
      accept: req.accept ?? "application/json",
      "user-agent": this.options.userAgent ?? "tsoperator",
      ...auth.headers,
    };
    if (req.body !== undefined) headers["content-type"] = req.contentType ?? "application/json";
    const started = performance.now();
    this.counters.requests++;
    let code = 0;
    try {
      const res = await (watch ? pools.watches : pools.requests).request({
        origin: this.origin,
        path: this.basePath + req.path,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: req.body ?? null,
        signal: req.signal ?? null,
        // GET is safe to resend on a reused connection that turned out closed; writes are not.
        idempotent: req.method === "GET",
      });
      code = res.statusCode;
      return res;
    } finally {
      this.report(req, watch, code, performance.now() - started);
    }
  }

  /**
   * The cluster-health probe: `GET /readyz` on the request pool with a short timeout, outside the
   * adaptive limit and the retries (it must answer quickly whatever else is queued).
   */
  private async probeReady(): Promise<boolean> {
    try {
      const res = await this.dispatch({ method: "GET", path: "/readyz", signal: AbortSignal.timeout(2_000) }, false);
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /**
   * What an answer tells the adaptive limit: `true` throttled, `false` success, undefined nothing.
   * 5xx say nothing about our share of the server. A 429 shrinks it only when it is about load: not while the cluster is coming back (a restarted API
   * server answers 429 "storage is (re)initializing" for seconds; measured in the fault suite, it
   * collapsed the limit to 1 right when the backlog had to be worked off), nor for that message.
   */
  private limitOutcome(statusCode: number, body: unknown): boolean | undefined {
    if (!this.gate || statusCode >= 500) return undefined;
    if (statusCode !== 429) return false;
    const message = asStatus(body)?.message ?? "";
    if (this.health.kind !== "healthy" || /initializing/i.test(message)) return undefined;
    return true;
  }

  private safely(call: () => void): void {
    try {
      call();
    } catch {
      // A metrics callback must never break a request.
    }
  }

  private report(req: TransportRequest, watch: boolean, code: number, durationMs: number): void {
    const hook = this.options.onRequest;
    if (!hook) return;
    const path = req.path.split("?")[0] ?? req.path;
    try {
      hook({ method: req.method, path, resource: pathTemplate(path), host: this.host, code, durationMs, watch });
    } catch {
      // A metrics callback must never break a request.
    }
  }

  /** The pools for this TLS material; a rotated client certificate (exec plugin) replaces them. */
  private poolsFor(auth: AuthSnapshot): { requests: Dispatcher; watches: Dispatcher } {
    if (this.pools && this.pools.fingerprint === auth.tlsFingerprint) return this.pools;
    const old = this.pools;
    this.pools = {
      fingerprint: auth.tlsFingerprint,
      requests: this.createPool(auth, this.options.connections ?? 32, false),
      watches: this.createPool(auth, this.options.watchConnections ?? null, true),
    };
    // Old connections finish their requests and then close; open watches end on their own.
    if (old) void Promise.allSettled([old.requests.close(), old.watches.close()]);
    return this.pools;
  }

  private createPool(auth: AuthSnapshot, connections: number | null, watch: boolean): Dispatcher {
    const timeout = this.options.requestTimeoutMs ?? 60_000;
    const common = {
      connections,
      pipelining: 1, // one request at a time per connection: no head-of-line blocking
      keepAliveTimeout: 60_000, // idle connections stay for reuse (client-go keeps them 90 s)
      keepAliveMaxTimeout: 600_000,
      headersTimeout: timeout,
      // A watch is quiet between events: the informer owns its inactivity timeout.
      bodyTimeout: watch ? 0 : timeout,
      allowH2: this.options.http2 ?? false,
    };
    const tlsConnect = { ...auth.tls, keepAlive: true, keepAliveInitialDelay: 30_000 } as Record<string, unknown>;
    let dispatcher: Dispatcher;
    const proxyUrl = this.cluster.proxyUrl;
    if (proxyUrl) {
      if (!/^https?:/.test(proxyUrl)) throw new Error(`proxy-url ${proxyUrl}: only http(s) proxies are supported`);
      dispatcher = new (undiciDispatchers().ProxyAgent)({ uri: proxyUrl, requestTls: tlsConnect, ...common });
    } else {
      dispatcher = new (undiciDispatchers().Pool)(this.origin, { ...common, connect: tlsConnect });
    }
    dispatcher.on("connect", () => {
      this.counters.connectionsOpened++;
      this.counters.openConnections++;
      if (watch) this.counters.watchConnectionsOpened++;
    });
    dispatcher.on("disconnect", () => {
      this.counters.connectionsClosed++;
      this.counters.openConnections--;
    });
    return dispatcher;
  }
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
