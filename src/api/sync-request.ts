/** `SyncRequest`: what a sync or finalize handler receives — a consistent snapshot of one parent. */
import type { KubeObject } from "../core/kube-object.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import { ChildrenView } from "./children-view.js";
import type { Constructor } from "../core/k8s-type.js";
import type { IndexDefinition } from "./related.js";
import { RelatedView, lookupInstances } from "./related-view.js";
import type { SyncTrigger } from "../core/sync-trigger.js";
import { NO_EVENTS, SILENT_LOGGER, syncReason, type HandlerLogger, type ParentEvents, type SyncReason } from "./handler-context.js";
import { deepFreeze } from "../core/deep-freeze.js";

/** The snapshot handed to `@Sync` / `@Finalize` handlers. */
export interface SyncRequest<P = KubeObject> {
  /** The parent as an instance of its class (converted on first read). */
  readonly parent: P;
  /**
   * The parent's wire object from the cache, deep-frozen: an edit in place throws instead of
   * changing the cache (which would hide the change from the next comparison with the cluster).
   */
  readonly raw: Readonly<KubeObject>;
  /** Every child the parent owns, from the cache; `children.ofType<V1Pod>(K8sTypes.Pod)` for typed views. */
  readonly children: ChildrenView;
  /** true when the parent is being deleted (it carries a deletionTimestamp). */
  readonly finalizing: boolean;
  /**
   * Aborted when the handler exceeds its timeout, when the runtime shuts down, and when this
   * replica loses its leader lease: pass it to fetches and other long calls (`signal.reason` says which).
   */
  readonly signal: AbortSignal;
  /**
   * The related objects this parent selects (`related` in `@Operator`), from the cache; read-only:
   * `req.related.ofType<V1Secret>(K8sTypes.Secret).get(name)`. An object that does not exist is absent.
   */
  readonly related: RelatedView;
  /**
   * Reads an index (`index(type, name, keys)`): the cached objects with `key`, within `namespace`
   * when given, as instances of the index's class. Pass the index itself for a typed result.
   */
  lookup<T>(index: IndexDefinition<T> | string, key: string, namespace?: string): T[];
  /** A logger whose records carry the operator and the parent (`ns/name`): a winston child of the runtime's. */
  readonly log: HandlerLogger;
  /** Records Kubernetes Events on the parent (`Normal`/`Warning`), aggregated like the runtime's own. */
  readonly events: ParentEvents;
  /** Why this sync runs: the triggers since the previous sync (`created`, `child-changed`, `resync`...). */
  readonly reason: SyncReason;
}

/** What the runtime passes to build a request. */
export interface SyncRequestInit {
  readonly parent: KubeObject;
  readonly children: readonly KubeObject[];
  readonly registry: TypeRegistry;
  /** Default: whether the parent has a deletionTimestamp. */
  readonly finalizing?: boolean;
  /** Default: a signal that never aborts. */
  readonly signal?: AbortSignal;
  /** The parent's class; default: the class registered for its apiVersion/kind. */
  readonly parentClass?: Constructor;
  /** The related objects the parent selects (default: none). */
  readonly related?: readonly KubeObject[];
  /** Reads an index by name (default: every index is empty). */
  readonly lookup?: (indexName: string, key: string, namespace?: string) => readonly KubeObject[];
  /** Default: a logger that drops everything. */
  readonly log?: HandlerLogger;
  /** Default: events that go nowhere. */
  readonly events?: ParentEvents;
  /** The triggers of this sync; default: none. */
  readonly reasons?: readonly SyncTrigger[];
}

const NEVER = new AbortController().signal;

class SnapshotRequest<P> implements SyncRequest<P> {
  readonly raw: Readonly<KubeObject>;
  readonly children: ChildrenView;
  readonly finalizing: boolean;
  readonly signal: AbortSignal;
  readonly log: HandlerLogger;
  readonly events: ParentEvents;
  readonly reason: SyncReason;
  readonly related: RelatedView;
  private converted = false;
  private instance?: P;

  constructor(private readonly init: SyncRequestInit) {
    this.raw = init.parent;
    this.children = new ChildrenView(init.children, init.registry);
    this.finalizing = init.finalizing ?? Boolean(init.parent.metadata?.deletionTimestamp);
    this.signal = init.signal ?? NEVER;
    this.log = init.log ?? SILENT_LOGGER;
    this.events = init.events ?? NO_EVENTS;
    this.reason = syncReason(init.reasons ?? []);
    this.related = new RelatedView(init.related ?? [], init.registry);
  }

  lookup<T>(index: IndexDefinition<T> | string, key: string, namespace?: string): T[] {
    const name = typeof index === "string" ? index : index.name;
    const found = this.init.lookup?.(name, key, namespace) ?? [];
    return lookupInstances<T>(found, this.init.registry, typeof index === "string" ? undefined : index.cls);
  }

  get parent(): P {
    if (!this.converted) {
      const { registry, parent, parentClass } = this.init;
      this.instance = parentClass
        ? registry.toInstance<P>(parent, parentClass as Constructor<P>)
        : registry.lookup(String(parent.apiVersion), String(parent.kind))
          ? registry.toInstance<P>(parent)
          : (structuredClone(parent) as P);
      this.converted = true;
    }
    return this.instance as P;
  }
}

/**
 * Builds the request for one handler call. Conversions to classes happen lazily, on first read.
 * The wire objects it hands out (`raw`, `children.raw()`, `related.raw()`) are the cache's own, deep-frozen here:
 * a handler that edited one in place and returned it changed the cache too, so the desired child
 * equalled the cached one, nothing was written, and the status claimed a change the cluster never
 * got. Now the edit throws (a TypeError in strict code) and the sync fails, reported.
 */
export function createSyncRequest<P = KubeObject>(init: SyncRequestInit): SyncRequest<P> {
  deepFreeze(init.parent);
  for (const child of init.children) deepFreeze(child);
  // Related objects are the cache's own too (`related.raw()`): read-only in the same way.
  for (const related of init.related ?? []) deepFreeze(related);
  return new SnapshotRequest<P>(init);
}
