/**
 * Converts between wire JSON and client-node's generated model classes (`V1Pod`, `V1ObjectMeta`,
 * ...), loading **only the model classes a conversion meets**, one file each.
 *
 * Why not client-node's `ObjectSerializer`: its module imports all ~870 generated model classes
 * (and the package index imports the generated API besides): ~75 MB of RSS for a process that
 * converts a ConfigMap (measured, bench/README.md "Base RSS"). Each generated model file
 * (`dist/gen/models/<Name>.js`) imports nothing and names its nested models by string in
 * `getAttributeTypeMap()`, so a model and everything it nests can be loaded by name on demand.
 * A class loaded here is the very class the package index exports (same module URL; Node's
 * `require` of an ES module shares the ESM cache), so `instanceof V1Pod` holds for users who
 * import `V1Pod` from `@kubernetes/client-node`.
 *
 * The rules are those of the generated `ObjectSerializer` of client-node 2.0.1 (primitives pass,
 * `Array<T>` and `{ [key: string]: T; }` recurse, `Date` <-> ISO string, a known model maps
 * property names <-> wire names and drops unknown keys, an unknown type passes unchanged). The
 * generated models have no enums and no discriminators, so those branches are left out; a test
 * compares both serializers on real objects (test/unit/registry/model-codec.test.ts).
 */
import { createRequire } from "node:module";

/** One entry of a generated model's attribute map. */
interface AttributeType {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** A generated model class: constructible, with its attribute map. */
export interface ModelClass {
  new (): object;
  getAttributeTypeMap(): AttributeType[];
}

const requireFromHere = createRequire(import.meta.url);
const PRIMITIVES = new Set(["string", "boolean", "double", "integer", "long", "float", "number", "any"]);
const ARRAY_PREFIX = "Array<";
const MAP_PREFIX = "{ [key: string]: ";
const MAP_SUFFIX = "; }";
const NULLABLE_SUFFIX = " | null";
const OPTIONAL_SUFFIX = " | undefined";

/** Loaded classes by model name; `null` = no such generated model (passes through unchanged). */
const models = new Map<string, ModelClass | null>();

/**
 * The generated model class named `name` (`"V1Pod"`), loaded on first use; undefined when
 * client-node has no model of that name (or is not installed).
 */
export function modelClass(name: string): ModelClass | undefined {
  let cls = models.get(name);
  if (cls === undefined) {
    cls = null;
    // Names are identifiers: never a path that leaves the models folder.
    if (/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
      try {
        const mod = requireFromHere(`@kubernetes/client-node/dist/gen/models/${name}.js`) as Record<string, unknown>;
        const candidate = mod[name];
        const getMap = (candidate as { getAttributeTypeMap?: unknown } | undefined)?.getAttributeTypeMap;
        if (typeof candidate === "function" && typeof getMap === "function") cls = candidate as unknown as ModelClass;
      } catch {
        cls = null;
      }
    }
    models.set(name, cls);
  }
  return cls ?? undefined;
}

/**
 * True when `cls` is a client-node generated model (the class of that name in client-node's
 * models folder is this very class). Cheap for anything else: no file is loaded for a class
 * without `getAttributeTypeMap`.
 */
export function isModelClass(cls: Function): boolean {
  const getMap = (cls as unknown as { getAttributeTypeMap?: unknown }).getAttributeTypeMap;
  if (typeof getMap !== "function" || !cls.name) return false;
  return modelClass(cls.name) === cls;
}

/** Wire JSON -> model instance (nested models, `Date` timestamps). Unknown fields are dropped. */
export function deserializeModel(data: unknown, type: string): unknown {
  if (data === undefined || data === null) return data;
  if (PRIMITIVES.has(type.toLowerCase())) return data;
  if (type.endsWith(NULLABLE_SUFFIX)) return deserializeModel(data, type.slice(0, -NULLABLE_SUFFIX.length));
  if (type.endsWith(OPTIONAL_SUFFIX)) return deserializeModel(data, type.slice(0, -OPTIONAL_SUFFIX.length));
  if (type.startsWith(ARRAY_PREFIX)) {
    const itemType = type.slice(ARRAY_PREFIX.length, -1);
    return (data as unknown[]).map((item) => deserializeModel(item, itemType));
  }
  if (type.startsWith(MAP_PREFIX)) {
    const valueType = type.slice(MAP_PREFIX.length, -MAP_SUFFIX.length);
    const out: Record<string, unknown> = {};
    for (const key in data as Record<string, unknown>) out[key] = deserializeModel((data as Record<string, unknown>)[key], valueType);
    return out;
  }
  if (type === "Date") return new Date(data as string);
  const cls = modelClass(type);
  if (!cls) return data;
  const instance = new cls() as Record<string, unknown>;
  for (const attribute of cls.getAttributeTypeMap()) {
    const value = deserializeModel((data as Record<string, unknown>)[attribute.baseName], attribute.type);
    if (value !== undefined) instance[attribute.name] = value;
  }
  return instance;
}

/**
 * Model instance -> wire JSON through the model's attribute map (property names -> wire names).
 * Absent properties come back as keys with `undefined` values; `Date`s as ISO strings.
 */
export function serializeModel(data: unknown, type: string, format = ""): unknown {
  if (data === undefined || data === null) return data;
  if (PRIMITIVES.has(type.toLowerCase())) return data;
  if (type.endsWith(NULLABLE_SUFFIX)) return serializeModel(data, type.slice(0, -NULLABLE_SUFFIX.length), format);
  if (type.endsWith(OPTIONAL_SUFFIX)) return serializeModel(data, type.slice(0, -OPTIONAL_SUFFIX.length), format);
  if (type.startsWith(ARRAY_PREFIX)) {
    const itemType = type.slice(ARRAY_PREFIX.length, -1);
    return (data as unknown[]).map((item) => serializeModel(item, itemType, format));
  }
  if (type.startsWith(MAP_PREFIX)) {
    const valueType = type.slice(MAP_PREFIX.length, -MAP_SUFFIX.length);
    const out: Record<string, unknown> = {};
    for (const key in data as Record<string, unknown>) out[key] = serializeModel((data as Record<string, unknown>)[key], valueType, format);
    return out;
  }
  if (type === "Date") {
    if (!(data instanceof Date)) return data;
    if (format === "date") {
      const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
      return `${data.getFullYear()}-${pad(data.getMonth() + 1)}-${pad(data.getDate())}`;
    }
    return data.toISOString();
  }
  const cls = modelClass(type);
  if (!cls) return data;
  const out: Record<string, unknown> = {};
  for (const attribute of cls.getAttributeTypeMap()) {
    out[attribute.baseName] = serializeModel((data as Record<string, unknown>)[attribute.name], attribute.type, attribute.format);
  }
  return out;
}
