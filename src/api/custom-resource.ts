/**
 * `@CustomResource`: the one decorator of a custom resource class. It declares the type identity
 * (apiVersion, kind, plural, scope — what `@KubernetesType` declares for types without a CRD) and
 * what the CustomResourceDefinition needs beyond it: the OpenAPI schema of spec and status,
 * printer columns, short names. TypeScript types are erased at run time, so the schema is declared
 * next to the class, in the wire form the CRD carries. Like every tsoperator decorator it only
 * records metadata; the registry reads the identity, `tsoperator manifests` the rest.
 */
import { K8sType, type Constructor } from "../core/k8s-type.js";
import { declareClassType } from "../core/type-ref.js";
import type { KubernetesTypeOptions } from "./kubernetes-type.js";

/** An OpenAPI v3 schema as a CRD's `openAPIV3Schema` holds it (wire names, e.g. `x-kubernetes-preserve-unknown-fields`). */
export interface OpenApiSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-validations"?: Array<{ rule: string; message?: string }>;
  [keyword: string]: unknown;
}

/** One `additionalPrinterColumns` entry: a column of `kubectl get`. */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  /** A JSONPath into the object, e.g. `.status.ready`. */
  jsonPath: string;
  description?: string;
  /** 0 shows by default; higher shows only with `-o wide`. */
  priority?: number;
  format?: string;
}

/**
 * Another version of a custom resource, served by the same CRD as the class's own version (whose
 * schema is the class's). Objects are converted between versions by a conversion webhook
 * (`defineConversion`); without one the API server only rewrites apiVersion.
 */
export interface CustomResourceVersion {
  /** The version, e.g. "v1beta1". */
  readonly name: string;
  /** Schemas of its top-level fields, as in {@link CustomResourceOptions.schema}. */
  readonly schema?: CustomResourceOptions["schema"];
  /** Served by the API server. Default true. */
  readonly served?: boolean;
  /** Stored in etcd. At most one version is; default: the class's own version. */
  readonly storage?: boolean;
  readonly deprecated?: boolean;
  readonly deprecationWarning?: string;
  readonly printerColumns?: readonly PrinterColumn[];
}

/**
 * Options of `@CustomResource`: the type identity (as `@KubernetesType` takes it) and the CRD's
 * details. apiVersion and kind may be left out only on a class that also carries `@KubernetesType`
 * (the older two-decorator form, still accepted).
 */
export interface CustomResourceOptions extends Partial<KubernetesTypeOptions> {
  /**
   * Schemas of the top-level fields. Left out, a field accepts anything
   * (`x-kubernetes-preserve-unknown-fields`). `status.observedGeneration` is always added.
   */
  readonly schema?: { readonly spec?: OpenApiSchema; readonly status?: OpenApiSchema } & Record<string, OpenApiSchema | undefined>;
  /** Columns of `kubectl get`; an `Age` column is appended unless you name one "Age". */
  readonly printerColumns?: readonly PrinterColumn[];
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** Default: the kind in lower case. */
  readonly singular?: string;
  /** Add the scale subresource pointing at these paths. */
  readonly scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Other versions the CRD serves besides the class's own (see `defineConversion` for converting between them). */
  readonly versions?: readonly CustomResourceVersion[];
}

const optionsByClass = new WeakMap<object, CustomResourceOptions>();

/**
 * Declares a class as a custom resource: its type (apiVersion, kind, plural, scope) and its CRD.
 *
 * ```ts
 * @CustomResource({
 *   apiVersion: "example.com/v1", kind: "EchoServer", plural: "echoservers", namespaced: true,
 *   schema: { spec: { type: "object", required: ["message"], properties: { message: { type: "string" } } } },
 *   printerColumns: [{ name: "Ready", type: "boolean", jsonPath: ".status.ready" }],
 * })
 * export class EchoServer { metadata!: V1ObjectMeta; spec!: EchoServerSpec; status?: EchoServerStatus }
 * ```
 */
export function CustomResource(options: CustomResourceOptions = {}): ClassDecorator {
  const { apiVersion, kind } = options;
  if ((apiVersion === undefined) !== (kind === undefined)) {
    throw new TypeError(
      `@CustomResource needs both apiVersion and kind (got ${apiVersion === undefined ? "only kind" : "only apiVersion"}), ` +
        `e.g. @CustomResource({ apiVersion: "example.com/v1", kind: "EchoServer", schema })`,
    );
  }
  // Validate at decoration time: a typo in apiVersion should fail at import, naming the class.
  const type = apiVersion !== undefined && kind !== undefined ? K8sType.of(apiVersion, kind, options) : undefined;
  return (target) => {
    if (type) declareClassType(target, type);
    optionsByClass.set(target, options);
  };
}

/** What `@CustomResource` recorded on a class or a base class; undefined when absent. */
export function customResourceOf(cls: Constructor | Function | undefined): CustomResourceOptions | undefined {
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const options = optionsByClass.get(c as object);
    if (options) return options;
  }
  return undefined;
}
