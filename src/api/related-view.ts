/**
 * What a handler reads of related objects: `RelatedView` (typed views over the objects a parent
 * selects, like children: `req.related.ofType<V1Secret>(K8sTypes.Secret).get(name)`) and the conversion of index
 * lookups to instances. Read-only snapshots from the cache; converted lazily, once.
 */
import type { Constructor } from "../core/k8s-type.js";
import type { KubeObject } from "../core/kube-object.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import { ChildrenView } from "./children-view.js";

/**
 * The related objects a parent selects (see `RelatedOptions`), by type: `ofType<V1Secret>(K8sTypes.Secret)` gives a
 * `TypedView` of instances (`get(name)`, `get(namespace, name)`, `toArray()`, `count()`).
 * Related objects are read, never written: to change one, do it in your own code.
 */
export class RelatedView extends ChildrenView {}

/** Index lookup results as instances: of `cls` when given, else of the class registered for each object's kind. */
export function lookupInstances<T>(objects: readonly KubeObject[], registry: TypeRegistry, cls?: Constructor): T[] {
  return objects.map((o) => {
    if (cls) return registry.toInstance<T>(o, cls as Constructor<T>);
    return registry.lookup(String(o.apiVersion), String(o.kind)) ? registry.toInstance<T>(o) : (structuredClone(o) as T);
  });
}
