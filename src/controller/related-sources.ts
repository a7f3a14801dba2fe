/**
 * The related types and user-facing indexes of one controller, wired: an informer per related type
 * (from the shared pool: operators declaring the same type with the same cache options share it),
 * a `RelatedIndex` per type kept up to date from parent and related events, the requests a related
 * event calls for, and an `ObjectIndex` per declared index.
 *
 * Guarantees: a related object's add, change or delete queues exactly the parents that selected it
 * before or select it now (within the operator's namespaces); the snapshot of a parent holds the
 * cached related objects it selects; nothing here ever writes to the API server.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import type { Logger } from "../observability/logger.js";
import type { InformerPool } from "../cache/informer-pool.js";
import type { InformerGroup } from "../cache/informer-group.js";
import { ObjectIndex } from "../cache/object-index.js";
import type { StoreEvent } from "../cache/object-store.js";
import type { ControllerSpec, Snapshot } from "./controller-spec.js";
import { requestFromKey } from "./event-mapping.js";
import { RelatedIndex } from "./related-index.js";
import type { IndexSpec, RelatedSpec } from "./related-spec.js";

/** What the related sources of a controller are wired to. */
export interface RelatedSourcesDeps {
  informers: InformerPool;
  logger: Logger;
  /** The operator's parent and child caches (an index over their type reads them). */
  parentInformer: InformerGroup;
  childInformers: readonly InformerGroup[];
  /** Queues a parent key (the controller's work queue) for a related object's event (its priority follows the event). */
  enqueue: (key: string, event: StoreEvent) => void;
}

/** One related type, wired. */
interface RelatedSource {
  spec: RelatedSpec;
  informer: InformerGroup;
  index: RelatedIndex;
}

/** The related types and indexes of one controller. See the module comment. */
export class RelatedSources {
  private readonly sources: RelatedSource[] = [];
  private readonly indexes = new Map<string, { index: ObjectIndex; informer: InformerGroup }>();

  constructor(
    private readonly spec: ControllerSpec,
    deps: RelatedSourcesDeps,
  ) {
    const log = deps.logger;
    for (const related of spec.related ?? []) {
      const informer = deps.informers.groupFor(related.resource, {
        ...this.scopeOf(related.resource),
        ...(related.cache.labelSelector ? { labelSelector: related.cache.labelSelector } : {}),
        ...(related.cache.fieldSelector ? { fieldSelector: related.cache.fieldSelector } : {}),
        ...(related.cache.metadataOnly ? { metadataOnly: true } : {}),
        ...(related.cache.transform ? { transform: related.cache.transform } : {}),
      });
      const index = new RelatedIndex({
        selection: related.selection,
        related: related.resource,
        parentNamespaced: spec.parent.namespaced,
        onError: (error, subject) =>
          log.warn(`related ${related.resource.kind}: the selection failed; it selects nothing`, {
            err: error,
            kind: subject.kind,
            name: subject.metadata?.name,
            namespace: subject.metadata?.namespace,
          }),
      });
      this.sources.push({ spec: related, informer, index });
      deps.parentInformer.on((event) => {
        if (event.type === "DELETED") index.parentDeleted(event.object);
        else index.parentChanged(event.object, informer.store);
      });
      informer.on((event) => {
        for (const key of index.relatedChanged(event)) if (this.inScope(key)) deps.enqueue(key, event);
      });
    }
    for (const def of spec.indexes ?? []) {
      const informer = this.informerOf(def, deps);
      const index = new ObjectIndex(def.name, def.keys, (error, obj) =>
        log.warn(`index "${def.name}": the key function failed; the object has no keys`, {
          err: error,
          kind: obj.kind,
          name: obj.metadata?.name,
          namespace: obj.metadata?.namespace,
        }),
      );
      informer.on((event) => index.apply(event));
      this.indexes.set(def.name, { index, informer });
    }
  }

  /** The caches of related types and indexes (the controller waits for them before its first sync). */
  get groups(): InformerGroup[] {
    return [...new Set([...this.sources.map((s) => s.informer), ...[...this.indexes.values()].map((i) => i.informer)])];
  }

  /** What a parent's snapshot holds beside parent and children: its related objects and index lookups. */
  snapshotOf(parent: KubeObject): Pick<Snapshot, "related" | "lookup"> {
    return { related: this.relatedOf(parent), lookup: (name, key, namespace) => this.lookup(name, key, namespace) };
  }

  /** The cached related objects (of every related type) `parent` selects. */
  relatedOf(parent: KubeObject): KubeObject[] {
    return this.sources.flatMap((s) => s.index.relatedOf(parent, s.informer.store));
  }

  /** The cached objects under `key` in index `name` (within `namespace` when given); throws for an unknown index. */
  lookup(name: string, key: string, namespace?: string): KubeObject[] {
    const entry = this.indexes.get(name);
    if (!entry) {
      const known = [...this.indexes.keys()];
      throw new Error(`no index named "${name}" in operator ${this.spec.name}${known.length ? `; declared: ${known.join(", ")}` : ""}`);
    }
    return entry.index.lookup(entry.informer.store, key, namespace);
  }

  /** Per related type: objects cached, and objects selected by some parent (for tests and status pages). */
  stats(): Array<{ kind: string; cached: number; selected: number; edges: number }> {
    return this.sources.map((s) => {
      const { relatedObjects, edges } = s.index.size();
      return { kind: s.spec.resource.kind, cached: s.informer.store.size, selected: relatedObjects, edges };
    });
  }

  /** A namespaced parent's related objects live in the operator's namespaces when it has a list; otherwise anywhere (as children). */
  private scopeOf(resource: ResourceType): { namespaces?: readonly string[] } {
    return this.spec.namespaces && this.spec.parent.namespaced && resource.namespaced ? { namespaces: this.spec.namespaces } : {};
  }

  /** A parent key outside the operator's namespaces is not ours to sync (a map may name any parent). */
  private inScope(key: string): boolean {
    if (!this.spec.namespaces || !this.spec.parent.namespaced) return true;
    const namespace = requestFromKey(key).namespace;
    return namespace !== undefined && this.spec.namespaces.includes(namespace);
  }

  /** The cache an index reads: the parent's, a related type's or a child type's when it is the same type; else its own. */
  private informerOf(def: IndexSpec, deps: RelatedSourcesDeps): InformerGroup {
    const same = (g: InformerGroup) =>
      g.informers[0]!.type.apiVersion === def.resource.apiVersion && g.informers[0]!.type.kind === def.resource.kind;
    if (same(deps.parentInformer)) return deps.parentInformer;
    const related = this.sources.find((s) => same(s.informer));
    if (related) return related.informer;
    const child = deps.childInformers.find(same);
    if (child) return child;
    return deps.informers.groupFor(def.resource, this.scopeOf(def.resource));
  }
}
