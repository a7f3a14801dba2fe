/**
 * `@CustomResource`: what a CustomResourceDefinition needs beyond apiVersion and kind — the
 * OpenAPI schema of spec and status, printer columns, short names. TypeScript types are erased at
 * run time, so the schema is declared next to the class, in the wire form the CRD carries.
 * Like every tsoperator decorator it only records metadata; `tsoperator manifests` reads it.
 */
import type { Constructor } from "../core/k8s-type.js";

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

/** Options of `@CustomResource`. */
export interface CustomResourceOptions {
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
}

const optionsByClass = new WeakMap<object, CustomResourceOptions>();

/**
 * Declares the CRD details of a `@KubernetesType` class. Put it on the same class:
 *
 * ```ts
 * @CustomResource({
 *   schema: { spec: { type: "object", required: ["message"], properties: { message: { type: "string" } } } },
 *   printerColumns: [{ name: "Ready", type: "boolean", jsonPath: ".status.ready" }],
 * })
 * @KubernetesType({ apiVersion: "example.com/v1", kind: "EchoServer", plural: "echoservers", namespaced: true })
 * export class EchoServer { ... }
 * ```
 */
export function CustomResource(options: CustomResourceOptions = {}): ClassDecorator {
  return (target) => {
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
