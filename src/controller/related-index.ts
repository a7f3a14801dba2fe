/**
 * The index of one related type: which parents selected which related objects. Pure (no I/O): it
 * is told about parent and related events and reads the related cache through a `CacheReader`;
 * unit-tested without a server.
 *
 * Owns the edges related object ↔ parent, built the way the selection says:
 * - `names`: from each parent (its names, whether the objects exist or not);
 * - `selector`: from each parent's selector matched against the cached related objects, kept up to
 *   date from both sides (a parent's new selector rescans the cache; a related object's change is
 *   matched against the selectors of the parents in its namespace);
 * - `map`: from each related object (`parentsOf`); a parent's deletion keeps them (a parent
 *   re-created under the same name is named again).
 *
 * Guarantees: `relatedChanged` returns exactly the parents that selected the object before the
 * change or select it after it (a label change that moves an object from one parent's selector to
 * another's syncs both; a deletion syncs the parents that had it); `relatedOf` returns the cached
 * objects a parent selects now. A selection function that throws selects nothing and is reported
 * through `onError`; it never breaks the index.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { labelSelectorString, labelsMatch, parseLabelSelector, type ParsedLabelSelector } from "../core/label-selector.js";
import { objectKey, type CacheReader, type StoreEvent } from "../cache/object-store.js";
import type { RelatedRef, RelatedSelection } from "./related-spec.js";

/** What the index needs to know about the operator. */
export interface RelatedIndexOptions {
  selection: RelatedSelection;
  /** The related type (its scope decides how refs become keys). */
  related: ResourceType;
  /** Whether the parent type is namespaced. */
  parentNamespaced: boolean;
  /** Told when a selection function throws or gives an unusable ref; the index goes on. */
  onError?: (error: unknown, subject: KubeObject) => void;
}

/** A parent's label selector, parsed, with where it applies. */
interface ParentSelector {
  /** The namespace it matches in; undefined: every namespace. */
  namespace: string | undefined;
  parsed: ParsedLabelSelector;
  /** Canonical string: an unchanged selector needs no rescan. */
  text: string;
}

/** Many-to-many edges between related object keys and parent keys. */
class Edges {
  private readonly parentsByRelated = new Map<string, Set<string>>();
  private readonly relatedByParent = new Map<string, Set<string>>();

  parentsOf(relatedKey: string): string[] {
    return [...(this.parentsByRelated.get(relatedKey) ?? [])];
  }

  relatedOf(parentKey: string): string[] {
    return [...(this.relatedByParent.get(parentKey) ?? [])];
  }

  setForParent(parentKey: string, relatedKeys: Iterable<string>): void {
    for (const r of this.relatedByParent.get(parentKey) ?? []) this.unlink(this.parentsByRelated, r, parentKey);
    this.relatedByParent.delete(parentKey);
    for (const r of relatedKeys) this.link(r, parentKey);
  }

  setForRelated(relatedKey: string, parentKeys: Iterable<string>): void {
    for (const p of this.parentsByRelated.get(relatedKey) ?? []) this.unlink(this.relatedByParent, p, relatedKey);
    this.parentsByRelated.delete(relatedKey);
    for (const p of parentKeys) this.link(relatedKey, p);
  }

  get relatedCount(): number {
    return this.parentsByRelated.size;
  }

  get edgeCount(): number {
    let n = 0;
    for (const s of this.parentsByRelated.values()) n += s.size;
    return n;
  }

  private link(relatedKey: string, parentKey: string): void {
    let parents = this.parentsByRelated.get(relatedKey);
    if (!parents) this.parentsByRelated.set(relatedKey, (parents = new Set()));
    parents.add(parentKey);
    let related = this.relatedByParent.get(parentKey);
    if (!related) this.relatedByParent.set(parentKey, (related = new Set()));
    related.add(relatedKey);
  }

  private unlink(map: Map<string, Set<string>>, key: string, member: string): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) map.delete(key);
  }
}

/** The related object ↔ parent index of one related type of one operator. See the module comment. */
export class RelatedIndex {
  private readonly edges = new Edges();
  /** Selector mode: the selector of each parent that has one. */
  private readonly selectors = new Map<string, ParentSelector>();

  constructor(private readonly options: RelatedIndexOptions) {}

  /** A parent was added or changed: recompute what it selects (`related`: the related cache). */
  parentChanged(parent: KubeObject, related: CacheReader): void {
    const { selection } = this.options;
    const parentKey = keyOf(parent);
    if (selection.by === "names") {
      const refs = this.call(parent, () => selection.names(parent)) ?? [];
      const keys: string[] = [];
      for (const ref of refs) {
        const key = this.refKey(ref, this.options.parentNamespaced ? parent.metadata?.namespace : undefined, parent);
        if (key !== undefined) keys.push(key);
      }
      this.edges.setForParent(parentKey, keys);
    } else if (selection.by === "selector") {
      const selector = this.parentSelector(parent, selection.selector);
      const before = this.selectors.get(parentKey);
      if (before?.text === selector?.text && before?.namespace === selector?.namespace) return;
      if (selector) this.selectors.set(parentKey, selector);
      else this.selectors.delete(parentKey);
      const keys = selector
        ? related
            .list()
            .filter((o) => this.matches(selector, o))
            .map(keyOf)
        : [];
      this.edges.setForParent(parentKey, keys);
    }
    // map: the related objects decide; nothing to do for a parent.
  }

  /** A parent was deleted: it selects nothing any more (map edges stay: they belong to the related objects). */
  parentDeleted(parent: KubeObject): void {
    if (this.options.selection.by === "map") return;
    const parentKey = keyOf(parent);
    this.selectors.delete(parentKey);
    this.edges.setForParent(parentKey, []);
  }

  /**
   * A related object was added, changed or deleted: updates the edges and returns the keys of the
   * parents to sync — those that selected it before and those that select it now.
   */
  relatedChanged(event: StoreEvent): string[] {
    const { selection } = this.options;
    const obj = event.object;
    const relatedKey = keyOf(obj);
    const before = this.edges.parentsOf(relatedKey);
    if (selection.by === "names") return before; // a parent's names decide; nothing moves
    if (event.type === "DELETED") {
      this.edges.setForRelated(relatedKey, []);
      return before;
    }
    let now: string[];
    if (selection.by === "selector") {
      now = [];
      for (const [parentKey, selector] of this.selectors) if (this.matches(selector, obj)) now.push(parentKey);
    } else {
      const refs = this.call(obj, () => selection.parentsOf(obj)) ?? [];
      now = [];
      for (const ref of refs) {
        const namespace = this.options.parentNamespaced ? (ref.namespace ?? obj.metadata?.namespace) : undefined;
        if (this.options.parentNamespaced && !namespace) continue;
        now.push(objectKey(namespace, ref.name));
      }
    }
    this.edges.setForRelated(relatedKey, now);
    return [...new Set([...before, ...now])];
  }

  /** The cached related objects `parent` selects now (by its key), in no particular order. */
  relatedOf(parent: KubeObject, related: CacheReader): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of this.edges.relatedOf(keyOf(parent))) {
      const obj = related.getByKey(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** The keys of the parents that select the related object with store key `relatedKey`. */
  parentsOf(relatedKey: string): string[] {
    return this.edges.parentsOf(relatedKey);
  }

  /** How many related objects are selected by some parent, and how many (object, parent) pairs there are. */
  size(): { relatedObjects: number; edges: number } {
    return { relatedObjects: this.edges.relatedCount, edges: this.edges.edgeCount };
  }

  private parentSelector(parent: KubeObject, select: (parent: KubeObject) => unknown): ParentSelector | undefined {
    return this.call(parent, () => {
      const raw = select(parent);
      if (raw === undefined || raw === null) return undefined;
      const parsed = parseLabelSelector(raw as never);
      const namespace = this.options.parentNamespaced && this.options.related.namespaced ? parent.metadata?.namespace : undefined;
      return { namespace, parsed, text: labelSelectorString(parsed) };
    });
  }

  private matches(selector: ParentSelector, obj: KubeObject): boolean {
    if (selector.namespace !== undefined && obj.metadata?.namespace !== selector.namespace) return false;
    return labelsMatch(selector.parsed, obj.metadata?.labels);
  }

  /** The store key of a ref; undefined (reported) when a namespaced object has no namespace to go by. */
  private refKey(ref: RelatedRef, defaultNamespace: string | undefined, subject: KubeObject): string | undefined {
    if (!ref || typeof ref.name !== "string" || ref.name === "") {
      this.options.onError?.(new TypeError(`a related ref needs a name, got ${JSON.stringify(ref)}`), subject);
      return undefined;
    }
    if (!this.options.related.namespaced) return ref.name;
    const namespace = ref.namespace ?? defaultNamespace;
    if (!namespace) {
      this.options.onError?.(
        new TypeError(`related ${this.options.related.kind} "${ref.name}" is namespaced: name its namespace ({ namespace, name })`),
        subject,
      );
      return undefined;
    }
    return objectKey(namespace, ref.name);
  }

  private call<T>(subject: KubeObject, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.options.onError?.(error, subject);
      return undefined;
    }
  }
}

function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata?.namespace, obj.metadata?.name ?? "");
}
