/**
 * `KubeClient`: wire JSON in and out over one keep-alive undici pool per (cluster, user). This is
 * the runtime's hot path to the API server (see docs/internals.md "Kube client").
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { clusterConfigOf, type ClusterConfig } from "./cluster-config.js";
import { asStatus, isGone, isNotFound } from "./errors.js";
import { itemKindOfList, objectPath, queryString, resourcePath, type QueryValue } from "./paths.js";
import { Transport, type KubeClientOptions, type TransportStats } from "./transport.js";
import { watchEvents, type WatchOptions } from "./watch.js";
import type { ClusterHealth } from "./cluster-health.js";
import type { KubeObject, ResourceType, WatchEvent } from "../core/kube-object.js";

/** Options of `list` and `listAll`. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  /** Ask for metadata only (`PartialObjectMetadataList`): items carry apiVersion `meta.k8s.io/v1`, kind `PartialObjectMetadata`. */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

/** The Accept header of a metadata-only list (client-go's metadata client sends the same, JSON fallback last). */
const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/** One page of a list: items carry apiVersion and kind (restored from the list's own). */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

/** Options of writes that create or replace. */
export interface WriteOptions {
  fieldManager?: string;
  /** Server-side dry run: the server validates and answers without persisting. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Options of server-side apply. */
export interface ApplyOptions {
  fieldManager: string;
  /** Take ownership of fields another manager owns (conflicts are otherwise 409). */
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Options of `patch`. */
export interface PatchOptions {
  subresource?: string;
  fieldManager?: string;
  signal?: AbortSignal;
}

/** Options of `delete`. */
export interface DeleteOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  signal?: AbortSignal;
}

/** Options of the escape hatch `request`. */
export interface RawRequestOptions {
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  contentType?: string;
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
}

const contentTypes = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

/** Speaks wire JSON to one API server with one kubeconfig context's credentials. */
export class KubeClient {
  private constructor(private readonly transport: Transport) {}

  /**
   * A client for a kubeconfig's current context: its server URL, TLS material (CA, client
   * certificate, skip-verify, tls-server-name) and credentials (token, basic, exec, token file;
   * OIDC and cloud auth providers through client-node). Takes tsoperator's own `ClusterConfig`
   * (`loadClusterConfig()`) or a client-node `KubeConfig`. Connections open lazily at the first request.
   */
  static fromKubeConfig(kc: ClusterConfig | KubeConfig, options: KubeClientOptions = {}): KubeClient {
    return new KubeClient(new Transport(clusterConfigOf(kc), options));
  }

  /** The server URL requests go to. */
  get server(): string {
    return this.transport.server;
  }

  /**
   * What every informer and writer using this client learns about the cluster, shared: a loop
   * backing off waits in `clusterHealth.waitForRetry` and wakes as soon as the server is back.
   */
  get clusterHealth(): ClusterHealth {
    return this.transport.health;
  }

  /** The adaptive limit of requests in flight now (undefined when `adaptiveConcurrency: false`). */
  get concurrencyLimit(): number | undefined {
    return this.transport.concurrencyLimit;
  }

  /**
   * Drops every open connection to the cluster (at most once per 10 s); see
   * `Transport.resetConnections`. The informers call it when a watch probe gets no answer.
   */
  resetConnections(): boolean {
    return this.transport.resetConnections();
  }

  /** Request and connection counters (connections opened, open now, requests sent, retries). */
  stats(): TransportStats {
    return this.transport.stats();
  }

  /** Reads one object; undefined when the object does not exist (a type the server does not serve throws). */
  async get(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<KubeObject | undefined> {
    try {
      return (await this.send("GET", resourcePath(type, namespace, name), undefined, opts.signal)) as KubeObject;
    } catch (err) {
      if (isObjectNotFound(err, name)) return undefined;
      throw err;
    }
  }

  /** Lists one page; items get `apiVersion`/`kind` restored (the server leaves them out of list items). */
  async list(type: ResourceType, opts: ListOptions = {}): Promise<ListResult> {
    const path =
      resourcePath(type, opts.namespace) +
      queryString({
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      });
    const list = (await this.send("GET", path, undefined, opts.signal, opts.metadataOnly ? METADATA_LIST_ACCEPT : undefined)) as {
      apiVersion?: string;
      kind?: string;
      metadata?: { resourceVersion?: string; continue?: string };
      items?: KubeObject[] | null;
    };
    const apiVersion = list.apiVersion || type.apiVersion;
    const kind = itemKindOfList(list.kind) || type.kind;
    const items = list.items ?? [];
    for (const item of items) {
      if (!item.apiVersion) item.apiVersion = apiVersion;
      if (!item.kind) item.kind = kind;
    }
    const result: ListResult = { items, resourceVersion: list.metadata?.resourceVersion ?? "" };
    if (list.metadata?.continue) result.continue = list.metadata.continue;
    return result;
  }

  /**
   * Lists everything in pages of `limit` (default 500) and returns the items with the final list's
   * resourceVersion (the point a watch continues from). A continue token that expired (410) restarts
   * the list from scratch without resourceVersion, as client-go's pager does.
   */
  async listAll(type: ResourceType, opts: Omit<ListOptions, "continue"> = {}): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const limit = opts.limit ?? 500;
    let restarts = 0;
    let base: ListOptions = { ...opts, limit };
    let items: KubeObject[] = [];
    let token: string | undefined;
    for (;;) {
      let page: ListResult;
      try {
        page = await this.list(
          type,
          token === undefined ? base : { ...base, continue: token, resourceVersion: undefined, resourceVersionMatch: undefined },
        );
      } catch (err) {
        if (isGone(err) && token !== undefined && restarts < 3) {
          restarts++;
          base = { ...base, resourceVersion: undefined, resourceVersionMatch: undefined };
          items = [];
          token = undefined;
          continue;
        }
        throw err;
      }
      for (const item of page.items) items.push(item);
      if (!page.continue) return { items, resourceVersion: page.resourceVersion };
      token = page.continue;
    }
  }

  /**
   * Watches a collection: an async iterable of events parsed from the stream as they arrive. Ends
   * when the server closes the stream (`timeoutSeconds`) or quietly when `signal` aborts. An
   * `ERROR` event (e.g. a `Status` with code 410 when the resourceVersion is too old) is yielded
   * as `{ type: "ERROR", object: Status }`: the informer relists. HTTP errors throw `ApiError`.
   */
  watch(type: ResourceType, opts: WatchOptions): AsyncIterable<WatchEvent> {
    return watchEvents(this.transport, type, opts);
  }

  /** Creates an object (POST); its namespace comes from metadata. */
  async create(type: ResourceType, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const path = resourcePath(type, obj.metadata?.namespace) + writeQuery(opts);
    if (type.namespaced && !obj.metadata?.namespace) throw new Error(`${type.kind} is namespaced: metadata.namespace is required`);
    return (await this.send("POST", path, withTypeMeta(type, obj), opts.signal)) as KubeObject;
  }

  /** Replaces an object (PUT); a stale `metadata.resourceVersion` fails with a conflict (`isConflict`). */
  async replace(type: ResourceType, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return (await this.send("PUT", objectPath(type, obj) + writeQuery(opts), withTypeMeta(type, obj), opts.signal)) as KubeObject;
  }

  /** Server-side apply of the object's fields, owned by `fieldManager`. */
  async apply(type: ResourceType, obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    return this.applyAt(type, obj, undefined, opts);
  }

  /** Server-side apply on the status subresource. */
  async applyStatus(type: ResourceType, obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    return this.applyAt(type, obj, "status", opts);
  }

  /** A JSON merge patch (`merge`) or JSON patch (`json`, an array of operations). */
  async patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    contentType: "merge" | "json",
    opts: PatchOptions = {},
  ): Promise<KubeObject> {
    const path = resourcePath(type, namespace, name, opts.subresource) + queryString({ fieldManager: opts.fieldManager });
    return (await this.transport.requestJson({
      method: "PATCH",
      path,
      body: JSON.stringify(patch),
      contentType: contentTypes[contentType],
      ...(opts.signal ? { signal: opts.signal } : {}),
    })) as KubeObject;
  }

  /**
   * Deletes an object; undefined when it did not exist. Answers the object as the server returns
   * it (with `deletionTimestamp` while finalizers hold it) or a `Status`.
   */
  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject | undefined> {
    const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    try {
      return (await this.send("DELETE", resourcePath(type, namespace, name), body, opts.signal)) as KubeObject;
    } catch (err) {
      if (isObjectNotFound(err, name)) return undefined;
      throw err;
    }
  }

  /** The escape hatch: any method and path (events, leases, discovery, /version); parsed JSON back. */
  async request(method: string, path: string, opts: RawRequestOptions = {}): Promise<unknown> {
    const body = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    return this.transport.requestJson({
      method: method.toUpperCase(),
      path: path + queryString(opts.query ?? {}),
      ...(body !== undefined ? { body } : {}),
      ...(opts.contentType ? { contentType: opts.contentType } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Closes the connection pools (open watches are cut). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  private async applyAt(type: ResourceType, obj: KubeObject, subresource: string | undefined, opts: ApplyOptions): Promise<KubeObject> {
    if (!opts?.fieldManager) throw new Error("server-side apply needs a fieldManager");
    const path =
      objectPath(type, obj, subresource) +
      queryString({ fieldManager: opts.fieldManager, force: opts.force ? true : undefined, dryRun: opts.dryRun ? "All" : undefined });
    // JSON is valid YAML: the apply content type takes a JSON body as it is.
    return (await this.transport.requestJson({
      method: "PATCH",
      path,
      body: JSON.stringify(withTypeMeta(type, obj)),
      contentType: contentTypes.apply,
      ...(opts.signal ? { signal: opts.signal } : {}),
    })) as KubeObject;
  }

  private send(method: string, path: string, body: unknown, signal: AbortSignal | undefined, accept?: string): Promise<unknown> {
    return this.transport.requestJson({
      method,
      path,
      ...(accept ? { accept } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  }
}

function writeQuery(opts: WriteOptions): string {
  return queryString({ fieldManager: opts.fieldManager, dryRun: opts.dryRun ? "All" : undefined });
}

/** The object with apiVersion and kind filled from the type when missing (the server requires them). */
function withTypeMeta(type: ResourceType, obj: KubeObject): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  return { ...obj, apiVersion: obj.apiVersion || type.apiVersion, kind: obj.kind || type.kind };
}

/**
 * A 404 about this object (Status details name it), as opposed to a 404 for a resource type the
 * server does not serve (yet): that one must not read as "the object is gone".
 */
function isObjectNotFound(err: unknown, name: string): boolean {
  if (!isNotFound(err)) return false;
  const status = asStatus((err as { body?: unknown }).body);
  return status?.details?.name === name;
}
