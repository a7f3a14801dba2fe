/**
 * Discovery: apiVersion + kind -> plural and scope, read from `/api/v1` or
 * `/apis/<group>/<version>`, cached per group-version, refreshed once on a miss (a CRD that was
 * just installed).
 */
import { isNotFound } from "./errors.js";
import { groupVersionPath, splitApiVersion } from "./paths.js";
import type { KubeClient } from "./client.js";
import type { ResourceType } from "../core/kube-object.js";

/** One entry of an `APIResourceList`. */
interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

interface CachedGroupVersion {
  /** kind -> resource (subresources such as `pods/status` left out). */
  kinds: Map<string, ResourceType>;
  fetchedAt: number;
}

/** Error thrown when the cluster does not serve a kind. */
export class KindNotServedError extends Error {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    detail: string,
  ) {
    super(
      `kind ${kind} of apiVersion ${apiVersion} is not served by the cluster (${detail}); ` +
        `if it is a custom resource, install its CustomResourceDefinition first`,
    );
    this.name = "KindNotServedError";
  }
}

/** Resolves kinds to resource types, with a cache per group-version. */
export class Discovery {
  private readonly cache = new Map<string, Promise<CachedGroupVersion | undefined>>();

  /** `minRefreshMs`: a miss refreshes a group-version only when its cache is older than this. */
  constructor(
    private readonly client: KubeClient,
    private readonly minRefreshMs = 1_000,
  ) {}

  /** Puts a known type into the cache (e.g. from a type registry) so it needs no request. */
  add(type: ResourceType): void {
    const entry = this.cache.get(type.apiVersion);
    const fresh: CachedGroupVersion = { kinds: new Map([[type.kind, type]]), fetchedAt: 0 };
    if (!entry) {
      this.cache.set(type.apiVersion, Promise.resolve(fresh));
      return;
    }
    this.cache.set(
      type.apiVersion,
      entry.then((cached) => {
        const merged = cached ?? fresh;
        merged.kinds.set(type.kind, type);
        return merged;
      }),
    );
  }

  /** Forgets one group-version, or everything. */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.cache.clear();
    else this.cache.delete(apiVersion);
  }

  /** The resource type of a kind; throws `KindNotServedError` when the cluster does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceType> {
    let cached = await this.load(apiVersion, false);
    let found = cached?.kinds.get(kind);
    if (found) return found;
    if (!cached || performance.now() - cached.fetchedAt >= this.minRefreshMs) {
      cached = await this.load(apiVersion, true);
      found = cached?.kinds.get(kind);
      if (found) return found;
    }
    if (!cached) throw new KindNotServedError(apiVersion, kind, `the group-version ${apiVersion} is not served`);
    const known = [...cached.kinds.keys()].sort().join(", ");
    throw new KindNotServedError(apiVersion, kind, `${apiVersion} serves: ${known || "nothing"}`);
  }

  private load(apiVersion: string, refresh: boolean): Promise<CachedGroupVersion | undefined> {
    const existing = this.cache.get(apiVersion);
    if (existing && !refresh) return existing;
    const loading = this.fetch(apiVersion);
    this.cache.set(apiVersion, loading);
    // A failed fetch (network, 5xx) must not poison the cache.
    loading.catch(() => {
      if (this.cache.get(apiVersion) === loading) this.cache.delete(apiVersion);
    });
    return loading;
  }

  private async fetch(apiVersion: string): Promise<CachedGroupVersion | undefined> {
    const { group, version } = splitApiVersion(apiVersion);
    let list: { resources?: ApiResource[] };
    try {
      list = (await this.client.request("GET", groupVersionPath(apiVersion))) as { resources?: ApiResource[] };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const kinds = new Map<string, ResourceType>();
    for (const resource of list.resources ?? []) {
      if (resource.name.includes("/")) continue; // subresources: pods/status, deployments/scale
      if (!kinds.has(resource.kind)) {
        kinds.set(resource.kind, {
          group,
          version,
          apiVersion,
          kind: resource.kind,
          plural: resource.name,
          namespaced: resource.namespaced,
        });
      }
    }
    return { kinds, fetchedAt: performance.now() };
  }
}
