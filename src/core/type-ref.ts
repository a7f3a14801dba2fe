/**
 * A "type reference": how users name a resource type in the API — a `K8sType`, an
 * `{ apiVersion, kind }` object, a client-node model class (`V1Pod`) or a `@KubernetesType` class.
 */
import { builtinForClass } from "./builtin-types.js";
import { UnknownTypeError } from "./errors.js";
import { K8sType, type Constructor, type K8sTypeLike } from "./k8s-type.js";

const typesByClass = new WeakMap<object, K8sType>();

/**
 * Records that `cls` models `type` (what `@KubernetesType` and `@CustomResource` do; kept here so
 * reading it needs no decorator). Both decorators on one class must name the same type; details
 * (plural, scope) given by either are kept.
 */
export function declareClassType(cls: Function, type: K8sType): void {
  const declared = typesByClass.get(cls);
  if (declared && !declared.equals(type)) {
    throw new TypeError(
      `class ${cls.name || "(anonymous)"} is declared as ${declared} and as ${type}: one class models one kind; ` +
        `keep one declaration (@CustomResource alone is enough for a custom resource)`,
    );
  }
  typesByClass.set(cls, declared ? declared.withDetails(type) : type);
}

/** The type a class declared with `@KubernetesType`, or undefined (own or inherited). */
export function kubernetesTypeOf(cls: Constructor | Function): K8sType | undefined {
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const type = typesByClass.get(c as object);
    if (type) return type;
  }
  return undefined;
}

/** Any way of naming a resource type. */
export type TypeRef = K8sType | K8sTypeLike | Constructor;

/** A type reference resolved to its identity and, when one was given, its class (unnamed: the registry's `RegisteredType` is the public form). */
type TypeAndClass = { readonly type: K8sType; readonly cls?: Constructor };

/** Name of a type reference for messages. */
export function describeTypeRef(ref: unknown): string {
  if (typeof ref === "function") return ref.name ? `class ${ref.name}` : "an anonymous class";
  if (ref instanceof K8sType) return ref.toString();
  if (ref && typeof ref === "object" && "kind" in ref) {
    const r = ref as { apiVersion?: unknown; kind?: unknown };
    return `${String(r.apiVersion)} ${String(r.kind)}`;
  }
  return JSON.stringify(ref) ?? String(ref);
}

/**
 * Resolves a type reference to its `K8sType` (and class). Throws `UnknownTypeError` for a class
 * that is neither a known client-node model nor decorated with `@KubernetesType`.
 */
export function resolveTypeRef(ref: TypeRef): TypeAndClass {
  if (typeof ref === "function") {
    const declared = kubernetesTypeOf(ref);
    if (declared) return { type: declared, cls: ref };
    const builtin = builtinForClass(ref);
    if (builtin) return { type: builtin.type, cls: ref };
    const isModel = typeof (ref as unknown as { getAttributeTypeMap?: unknown }).getAttributeTypeMap === "function";
    throw new UnknownTypeError(
      isModel
        ? `${describeTypeRef(ref)} is a client-node model the built-in table does not map to an apiVersion/kind; ` +
            `name the type with K8sType.of("<apiVersion>", "<Kind>") and register the class with registry.register(type, ${ref.name})`
        : `${describeTypeRef(ref)} is not a Kubernetes type: decorate it with @CustomResource({ apiVersion, kind, ... }) ` +
            `(a custom resource) or @KubernetesType({ apiVersion, kind }), ` +
            `use a client-node model class such as V1Pod, or pass K8sType.of(apiVersion, kind)`,
    );
  }
  if (ref && typeof ref === "object" && "apiVersion" in ref && "kind" in ref) {
    try {
      return { type: K8sType.from(ref) };
    } catch (e) {
      throw new UnknownTypeError((e as Error).message);
    }
  }
  throw new UnknownTypeError(
    `${describeTypeRef(ref)} does not name a resource type: pass a K8sType, { apiVersion, kind }, a client-node model class or a @KubernetesType class`,
  );
}
