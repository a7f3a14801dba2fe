/**
 * `@KubernetesType`: marks a user's class as the TypeScript shape of a resource (usually a custom
 * resource). The decorator only records metadata; the registry reads it when the class is used.
 */
import { K8sType, type Constructor, type K8sTypeDetails } from "./k8s-type.js";

/** Options of `@KubernetesType`. Leave plural/namespaced out to let discovery find them. */
export interface KubernetesTypeOptions extends K8sTypeDetails {
  /** "group/version", e.g. "example.com/v1". */
  readonly apiVersion: string;
  /** The CamelCase kind, e.g. "EchoServer". */
  readonly kind: string;
}

const typesByClass = new WeakMap<object, K8sType>();

/**
 * Declares which resource type a class models. Its fields use the wire names of the resource
 * (`metadata`, `spec`, `status`, ...); instances are made with class-transformer.
 *
 * ```ts
 * @KubernetesType({ apiVersion: "example.com/v1", kind: "EchoServer", plural: "echoservers" })
 * class EchoServer { metadata!: V1ObjectMeta; spec!: EchoServerSpec; status?: EchoServerStatus }
 * ```
 */
export function KubernetesType(options: KubernetesTypeOptions): ClassDecorator {
  // Validate at decoration time: a typo in apiVersion should fail at import, naming the class.
  const type = K8sType.of(options.apiVersion, options.kind, options);
  return (target) => {
    typesByClass.set(target, type);
  };
}

/** The type a class declared with `@KubernetesType`, or undefined (own or inherited). */
export function kubernetesTypeOf(cls: Constructor | Function): K8sType | undefined {
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const type = typesByClass.get(c as object);
    if (type) return type;
  }
  return undefined;
}
