/**
 * `@KubernetesType`: marks a user's class as the TypeScript shape of a resource whose CRD the
 * operator does not define (a kind someone else installs, a built-in kind modelled by your own
 * class). A custom resource the operator defines takes `@CustomResource` alone, which declares the
 * same identity plus the CRD. The decorator only records metadata; the registry reads it.
 */
import { K8sType, type K8sTypeDetails } from "../core/k8s-type.js";
import { declareClassType } from "../core/type-ref.js";

/** Options of `@KubernetesType`. Leave plural/namespaced out to let discovery find them. */
export interface KubernetesTypeOptions extends K8sTypeDetails {
  /** "group/version", e.g. "example.com/v1". */
  readonly apiVersion: string;
  /** The CamelCase kind, e.g. "EchoServer". */
  readonly kind: string;
}

/**
 * Declares which resource type a class models. Its fields use the wire names of the resource
 * (`metadata`, `spec`, `status`, ...); instances are made with class-transformer. For a custom
 * resource whose CRD `tsoperator manifests` should write, use `@CustomResource` instead.
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
    declareClassType(target, type);
  };
}
