/**
 * CustomResourceDefinition generation: one CRD per custom kind, from its `K8sType` and the
 * `@CustomResource` options of its class. Pure: objects in, wire objects out.
 */
import { K8sType } from "../core/k8s-type.js";
import type { KubeObject } from "../core/kube-object.js";
import type { CustomResourceOptions, CustomResourceVersion, OpenApiSchema, PrinterColumn } from "../api/custom-resource.js";
import { isNamespaced, pluralOf } from "./type-names.js";

/** `status.observedGeneration`: the runtime writes it with every status. */
const OBSERVED_GENERATION: OpenApiSchema = {
  type: "integer",
  format: "int64",
  description: "The metadata.generation the status was computed from.",
};

/**
 * `status.conditions`: the runtime writes its sync condition there (`statusCondition`), and a
 * handler may add its own. A map keyed by `type` (Kubernetes' `metav1.Condition` list), so each
 * condition is one entry server-side apply can tell apart.
 */
const CONDITIONS: OpenApiSchema = {
  type: "array",
  description: "The latest observations of the object's state; Synced: the outcome of the operator's last sync.",
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
  items: {
    type: "object",
    required: ["type", "status", "lastTransitionTime", "reason", "message"],
    properties: {
      type: { type: "string", maxLength: 316 },
      status: { type: "string", enum: ["True", "False", "Unknown"] },
      observedGeneration: { type: "integer", format: "int64", minimum: 0 },
      lastTransitionTime: { type: "string", format: "date-time" },
      reason: { type: "string", maxLength: 1024 },
      message: { type: "string", maxLength: 32768 },
    },
  },
};

const AGE_COLUMN: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

/** A field that accepts any object: used when the schema of spec or status is not declared. */
function openObject(description: string): OpenApiSchema {
  return { type: "object", description, "x-kubernetes-preserve-unknown-fields": true };
}

/** The status schema with `observedGeneration` and `conditions` added (the user's own declarations win). */
function statusSchema(declared: OpenApiSchema | undefined): OpenApiSchema {
  const base = declared ?? openObject("Written by the operator.");
  const properties = { ...(base.properties ?? {}) };
  properties.observedGeneration ??= OBSERVED_GENERATION;
  properties.conditions ??= CONDITIONS;
  return { ...base, type: "object", properties };
}

/** The `openAPIV3Schema` of a custom kind: apiVersion, kind, metadata, the declared fields, status. */
export function openApiSchemaOf(options: CustomResourceOptions = {}): OpenApiSchema {
  const declared = options.schema ?? {};
  const properties: Record<string, OpenApiSchema> = {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
  };
  for (const [field, schema] of Object.entries(declared)) {
    if (schema && field !== "status") properties[field] = schema;
  }
  properties.spec ??= openObject("Desired state (no schema declared: any fields are kept).");
  properties.status = statusSchema(declared.status);
  return { type: "object", properties };
}

/** One version entry of a CRD. */
function versionOf(type: K8sType, options: CustomResourceOptions, storage: boolean): Record<string, unknown> {
  const columns = [...(options.printerColumns ?? [])];
  if (!columns.some((c) => c.name.toLowerCase() === "age")) columns.push(AGE_COLUMN);
  const subresources: Record<string, unknown> = { status: {} };
  if (options.scale) subresources.scale = { ...options.scale };
  return {
    name: type.version,
    served: true,
    storage,
    subresources,
    additionalPrinterColumns: columns.map((c) => ({ ...c })),
    schema: { openAPIV3Schema: openApiSchemaOf(options) },
  };
}

/**
 * Every version entry: the classes' own versions, then the extra `versions` they declare (the first
 * declaration of a name wins). The storage version is the one an extra declares `storage: true`,
 * else the first class's.
 */
function allVersions(classes: ReadonlyArray<{ type: K8sType; options?: CustomResourceOptions }>): Record<string, unknown>[] {
  const entries = new Map<string, { type: K8sType; options: CustomResourceOptions; extra?: CustomResourceVersion }>();
  for (const c of classes) if (!entries.has(c.type.version)) entries.set(c.type.version, { type: c.type, options: c.options ?? {} });
  for (const c of classes) {
    for (const extra of c.options?.versions ?? []) {
      if (entries.has(extra.name)) continue;
      const options: CustomResourceOptions = {
        ...(c.options ?? {}),
        schema: extra.schema ?? {},
        ...(extra.printerColumns ? { printerColumns: extra.printerColumns } : {}),
      };
      entries.set(extra.name, { type: K8sType.of(`${c.type.group}/${extra.name}`, c.type.kind), options, extra });
    }
  }
  const storageByExtra = [...entries.values()].find((e) => e.extra?.storage === true);
  const storage = storageByExtra ?? [...entries.values()][0]!;
  return [...entries.values()].map((e) => {
    const version = versionOf(e.type, e.options, e === storage);
    if (e.extra) {
      version.served = e.extra.served ?? true;
      if (e.extra.deprecated) version.deprecated = true;
      if (e.extra.deprecationWarning) version.deprecationWarning = e.extra.deprecationWarning;
    }
    return version;
  });
}

/** The CRD's metadata.name: `<plural>.<group>`. */
export function crdNameOf(type: K8sType): string {
  return `${pluralOf(type)}.${type.group}`;
}

/**
 * The CRD of a custom kind; pass several versions of one group/kind to get one CRD serving them
 * all (the first is the storage version).
 */
export function crdFor(versions: ReadonlyArray<{ type: K8sType; options?: CustomResourceOptions }>): KubeObject {
  const first = versions[0];
  if (!first) throw new TypeError("crdFor needs at least one version");
  const { type } = first;
  const options = first.options ?? {};
  const names: Record<string, unknown> = {
    kind: type.kind,
    listKind: `${type.kind}List`,
    plural: pluralOf(type),
    singular: options.singular ?? type.kind.toLowerCase(),
  };
  if (options.shortNames?.length) names.shortNames = [...options.shortNames];
  if (options.categories?.length) names.categories = [...options.categories];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdNameOf(type), labels: { "app.kubernetes.io/managed-by": "tsoperator" } },
    spec: {
      group: type.group,
      scope: isNamespaced(type) ? "Namespaced" : "Cluster",
      names,
      versions: allVersions(versions),
    },
  };
}
