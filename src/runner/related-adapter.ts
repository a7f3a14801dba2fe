/**
 * Where the user's related types and indexes meet the runtime: their functions see class instances
 * (the parent as `req.parent` shows it, the related or indexed object as its views do); the runtime
 * calls them with wire objects and wants plain answers. This module resolves the types (discovery),
 * registers their classes and wraps each function; it is the only place that does.
 */
import type { Constructor } from "../core/k8s-type.js";
import type { KubeObject } from "../core/kube-object.js";
import type { OperatorConfig } from "../api/operator-config.js";
import type { IndexKeys, RelatedName } from "../api/related.js";
import type { Discovery } from "../kube/discovery.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import { labelSelectorString } from "../core/label-selector.js";
import type { IndexSpec, RelatedRef, RelatedSelection, RelatedSpec } from "../controller/related-spec.js";

/** Registers the classes of related and indexed types (views and lookups convert to them). */
export function registerRelatedClasses(config: OperatorConfig, registry: TypeRegistry): void {
  for (const { type, cls } of [...config.related, ...config.indexes]) {
    if (cls) registry.register(type, cls);
    else if (!registry.lookup(type.apiVersion, type.kind)) registry.register(type);
  }
}

/** The runtime's specs of an operator's related types and indexes (types discovered, functions wrapped). */
export async function relatedSpecsOf(
  config: OperatorConfig,
  discovery: Discovery,
  registry: TypeRegistry,
): Promise<{ related: RelatedSpec[]; indexes: IndexSpec[] }> {
  const asParent = instanceMaker(registry, config.parentClass);
  const related: RelatedSpec[] = [];
  for (const r of config.related) {
    const resource = await discovery.resolve(r.type.apiVersion, r.type.kind);
    const asRelated = instanceMaker(registry, r.cls);
    let selection: RelatedSelection;
    if (r.names) {
      const names = r.names;
      selection = { by: "names", names: (parent) => refsOf(names(asParent(parent))) };
    } else if (r.selector) {
      const selector = r.selector;
      selection = { by: "selector", selector: (parent) => selector(asParent(parent)) ?? undefined };
    } else {
      const parentsOf = r.parentsOf!;
      selection = { by: "map", parentsOf: (obj) => refsOf(parentsOf(asRelated(obj))) };
    }
    const { labelSelector, fieldSelector, metadataOnly, transform } = r.cache;
    related.push({
      resource,
      selection,
      cache: {
        ...(labelSelector !== undefined ? { labelSelector: labelSelectorString(labelSelector) } : {}),
        ...(fieldSelector !== undefined ? { fieldSelector } : {}),
        ...(metadataOnly ? { metadataOnly: true } : {}),
        ...(transform ? { transform } : {}),
      },
    });
  }
  const indexes: IndexSpec[] = [];
  for (const def of config.indexes) {
    const resource = await discovery.resolve(def.type.apiVersion, def.type.kind);
    const asObject = instanceMaker(registry, def.cls);
    indexes.push({ name: def.name, resource, keys: (obj) => keysOf(def.keys(asObject(obj))) });
  }
  return { related, indexes };
}

/** Converts a wire object to an instance of `cls`, or of the class registered for its kind, or a copy. */
function instanceMaker(registry: TypeRegistry, cls: Constructor | undefined): (wire: KubeObject) => unknown {
  if (cls) return (wire) => registry.toInstance(wire, cls);
  return (wire) => (registry.lookup(String(wire.apiVersion), String(wire.kind)) ? registry.toInstance(wire) : structuredClone(wire));
}

/** Names (a name, a ref, a list of either, nothing) as refs; anything else throws (reported by the index). */
function refsOf(
  value: RelatedName | readonly RelatedName[] | readonly { namespace?: string; name: string }[] | undefined | null,
): RelatedRef[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v: unknown) => {
    if (typeof v === "string") return { name: v };
    if (v && typeof v === "object" && typeof (v as RelatedRef).name === "string") {
      const { namespace, name } = v as RelatedRef;
      return namespace ? { namespace, name } : { name };
    }
    throw new TypeError(`expected a name or { namespace, name }, got ${JSON.stringify(v)}`);
  });
}

/** Index keys as a list of non-empty strings; anything else throws (reported by the index). */
function keysOf(value: IndexKeys): string[] {
  if (value === undefined || value === null) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list))
    throw new TypeError(`an index key function must return a string, strings or nothing, got ${JSON.stringify(value)}`);
  return list.filter((k): k is string => typeof k === "string" && k.length > 0);
}
