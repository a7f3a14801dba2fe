/**
 * A minimal Kubernetes HTTP client for the benchmark: one undici `Agent` (a keep-alive pool),
 * bearer token, plain JSON. The harness uses it to create/patch/delete parents, to watch, and to
 * read `/metrics`; the raw Node peer uses it for its writes. It counts its own requests by
 * verb and resource so the harness can subtract them from the apiserver's counters.
 */
import { Agent, request } from "undici";

/** Connection details of an apiserver. */
export interface KubeEndpoint {
  server: string;
  token: string;
  /** PEM CA bundle the apiserver's serving certificate chains to. */
  ca: string;
}

/** An HTTP error answered by the apiserver. */
export class KubeHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${statusCode}: ${body.slice(0, 300)}`);
  }
}

/** Content types of the PATCH flavours. */
export const PATCH_TYPES = {
  merge: "application/merge-patch+json",
  apply: "application/apply-patch+yaml",
  json: "application/json-patch+json",
} as const;

/** Options of {@link KubeHttp.send}. */
export interface SendOptions {
  body?: unknown;
  contentType?: string;
  /** Resolve to undefined on 404 instead of throwing. */
  allow404?: boolean;
}

/** See the module comment. */
export class KubeHttp {
  private readonly agent: Agent;
  /** Requests sent, keyed `VERB resource` (e.g. `POST benchparents`). */
  readonly counts = new Map<string, number>();

  constructor(
    readonly endpoint: KubeEndpoint,
    connections = 32,
  ) {
    this.agent = new Agent({ connect: { ca: endpoint.ca }, connections, keepAliveTimeout: 30_000 });
  }

  /** Sends one request and parses the JSON answer. */
  async send<T = Record<string, unknown>>(method: string, path: string, opts: SendOptions = {}): Promise<T | undefined> {
    this.count(method, path);
    const res = await request(this.endpoint.server + path, {
      method: method as "GET",
      dispatcher: this.agent,
      headers: {
        authorization: `Bearer ${this.endpoint.token}`,
        accept: "application/json",
        ...(opts.body !== undefined ? { "content-type": opts.contentType ?? "application/json" } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.body.text();
    if (res.statusCode === 404 && opts.allow404) return undefined;
    if (res.statusCode >= 300) throw new KubeHttpError(method, path, res.statusCode, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** GETs a plain-text path (e.g. `/metrics`). */
  async text(path: string): Promise<string> {
    const res = await request(this.endpoint.server + path, {
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${this.endpoint.token}` },
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new KubeHttpError("GET", path, res.statusCode, text);
    return text;
  }

  /**
   * Streams a watch: calls `onEvent` for every event until the server ends the stream or
   * `signal` aborts. Resolves when the stream ends.
   */
  async watch(path: string, signal: AbortSignal, onEvent: (type: string, object: Record<string, any>) => void): Promise<void> {
    this.count("WATCH", path);
    const res = await request(this.endpoint.server + path, {
      dispatcher: this.agent,
      signal,
      headers: { authorization: `Bearer ${this.endpoint.token}`, accept: "application/json" },
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) throw new KubeHttpError("WATCH", path, res.statusCode, await res.body.text());
    let buffered = "";
    try {
      for await (const chunk of res.body) {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) {
            const event = JSON.parse(line) as { type: string; object: Record<string, any> };
            onEvent(event.type, event.object);
          }
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private count(verb: string, path: string): void {
    const resource = resourceOf(path);
    // The apiserver's metrics call a GET of a collection LIST; so do we, to subtract like for like.
    const key = `${verb === "GET" && isCollection(path) ? "LIST" : verb} ${resource}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

/** The resource (plus `/subresource`) a request path addresses, e.g. `benchparents/status`. */
export function resourceOf(path: string): string {
  const parts = path.split("?")[0]!.split("/").filter(Boolean);
  // /api/v1/namespaces/ns/configmaps/name[/sub] or /apis/g/v/namespaces/ns/plural/name[/sub]
  const rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
  const afterNs = rest[0] === "namespaces" && rest.length > 2 ? rest.slice(2) : rest;
  const [resource, , sub] = afterNs;
  return sub ? `${resource}/${sub}` : (resource ?? path);
}

/** Whether a resource path names a collection (no object name after the plural). */
export function isCollection(path: string): boolean {
  const parts = path.split("?")[0]!.split("/").filter(Boolean);
  const rest = parts[0] === "api" ? parts.slice(2) : parts.slice(3);
  const afterNs = rest[0] === "namespaces" && rest.length > 2 ? rest.slice(2) : rest;
  return afterNs.length === 1;
}
