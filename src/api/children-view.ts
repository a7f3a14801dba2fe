/**
 * Views over the children a parent owns. Children arrive as wire objects from the cache; a view
 * converts an item to a class instance only when user code reads it, and converts it once.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import { K8sType, type Constructor } from "../core/k8s-type.js";
import type { TypeRef } from "../core/type-ref.js";

/**
 * The children of one type, as instances of that type's class (`instanceof V1Pod`).
 * Treat items and `raw()` objects as read-only snapshots: to change a child, return it from sync.
 */
export class TypedView<T> implements Iterable<T> {
  private readonly instances: (T | undefined)[];

  /** @internal Made by `ChildrenView.ofType`. */
  constructor(
    /** The type this view holds. */
    readonly type: K8sType,
    private readonly items: readonly KubeObject[],
    private readonly convert: (wire: KubeObject) => T,
  ) {
    this.instances = new Array(items.length);
  }

  /** Number of children of this type. */
  count(): number {
    return this.items.length;
  }

  /** true when there are none. */
  isEmpty(): boolean {
    return this.items.length === 0;
  }

  /** The first child (in cache order; with one child of a type, that one), or undefined. */
  first(): T | undefined {
    return this.items.length > 0 ? this.at(0) : undefined;
  }

  /**
   * The child with this name. `get(name)` matches the name in any namespace (enough for a
   * namespaced parent, whose children all share its namespace, and for cluster-scoped children);
   * `get(namespace, name)` matches both.
   */
  get(namespaceOrName: string | undefined, name?: string): T | undefined {
    // biome-ignore lint/complexity/noArguments: the arity tells get(name) from get(undefined, name)
    const i = this.indexOf(namespaceOrName, name, arguments.length);
    return i < 0 ? undefined : this.at(i);
  }

  /** true when `get` with the same arguments finds a child. */
  exists(namespaceOrName: string | undefined, name?: string): boolean {
    // biome-ignore lint/complexity/noArguments: the arity tells exists(name) from exists(undefined, name)
    return this.indexOf(namespaceOrName, name, arguments.length) >= 0;
  }

  /** All children of this type as instances. */
  toArray(): T[] {
    return this.items.map((_, i) => this.at(i));
  }

  /** The children as the plain wire objects from the cache (no conversion; do not mutate). */
  raw(): readonly Readonly<KubeObject>[] {
    return this.items;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.items.length; i++) yield this.at(i);
  }

  private at(i: number): T {
    let instance = this.instances[i];
    if (instance === undefined) {
      instance = this.convert(this.items[i]!);
      this.instances[i] = instance;
    }
    return instance;
  }

  private indexOf(namespaceOrName: string | undefined, name: string | undefined, argc: number): number {
    if (argc < 2) return this.items.findIndex((o) => o.metadata?.name === namespaceOrName);
    const ns = namespaceOrName || undefined;
    return this.items.findIndex((o) => o.metadata?.name === name && (o.metadata?.namespace || undefined) === ns);
  }
}

/**
 * All children a parent owns, from the cache. `ofType` narrows to one type and gives instances.
 *
 * ```ts
 * const pod = req.children.ofType<V1Pod>(K8sTypes.Pod).first(); // a real V1Pod (`import type { V1Pod }`)
 * const svc = req.children.ofType("v1", "Service").get("web");
 * ```
 */
export class ChildrenView {
  private byType?: Map<string, KubeObject[]>;
  private readonly views = new Map<unknown, TypedView<unknown>>();

  /** @internal Made by `createSyncRequest`. */
  constructor(
    private readonly items: readonly KubeObject[],
    private readonly registry: TypeRegistry,
  ) {}

  /** The children of a type: pass a class (V1Pod, a @KubernetesType class), a K8sType, or apiVersion and kind. */
  ofType<T>(cls: Constructor<T>): TypedView<T>;
  ofType<T = KubeObject>(type: TypeRef): TypedView<T>;
  ofType<T = KubeObject>(apiVersion: string, kind: string): TypedView<T>;
  ofType<T>(ref: TypeRef | string, kind?: string): TypedView<T> {
    const cacheKey = typeof ref === "string" ? K8sType.keyOf(ref, kind ?? "") : ref;
    const cached = this.views.get(cacheKey);
    if (cached) return cached as TypedView<T>;
    const view = this.makeView<T>(typeof ref === "string" ? K8sType.of(ref, kind ?? "") : ref);
    this.views.set(cacheKey, view as TypedView<unknown>);
    return view;
  }

  /** Every child, of every type, as the plain wire objects from the cache (do not mutate). */
  raw(): readonly Readonly<KubeObject>[] {
    return this.items;
  }

  /** Number of children of all types. */
  count(): number {
    return this.items.length;
  }

  private makeView<T>(ref: TypeRef): TypedView<T> {
    const registered = this.registry.resolve(ref);
    const type = registered.type;
    // A class passed explicitly wins over the kind's registered class.
    const cls = typeof ref === "function" ? ref : registered.cls;
    const items = this.index().get(type.key) ?? [];
    const convert = cls
      ? (wire: KubeObject) => this.registry.toInstance<T>(wire, cls as Constructor<T>)
      : (wire: KubeObject) => structuredClone(wire) as T;
    return new TypedView<T>(type, items, convert);
  }

  private index(): Map<string, KubeObject[]> {
    if (!this.byType) {
      this.byType = new Map();
      for (const o of this.items) {
        const key = K8sType.keyOf(String(o.apiVersion), String(o.kind));
        const list = this.byType.get(key);
        if (list) list.push(o);
        else this.byType.set(key, [o]);
      }
    }
    return this.byType;
  }
}
