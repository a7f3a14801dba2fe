/**
 * The one place that touches client-node's `ObjectSerializer`. It is not re-exported by the
 * package index; client-node 2.0.1's package.json has no `exports` map, so the deep import of
 * `dist/serializer.js` is allowed (it wraps the generated serializer and adds nothing we rely on).
 */
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";

/** Wire JSON -> model instance (nested models, `Date` timestamps). Unknown fields are dropped. */
export function deserializeModel(wire: unknown, modelName: string): unknown {
  return ObjectSerializer.deserialize(wire, modelName);
}

/**
 * Model instance -> wire JSON through the model's attribute map (property names -> wire names).
 * Absent properties come back as keys with `undefined` values; `Date`s as ISO strings.
 */
export function serializeModel(instance: unknown, modelName: string): unknown {
  return ObjectSerializer.serialize(instance, modelName);
}

/**
 * true when `cls` is a client-node model that the serializer knows by `cls.name` (checked once,
 * by deserializing an empty object: names can differ from class names after bundling).
 */
export function isSerializableModel(cls: Function): boolean {
  const getMap = (cls as unknown as { getAttributeTypeMap?: unknown }).getAttributeTypeMap;
  if (typeof getMap !== "function" || !cls.name) return false;
  try {
    return ObjectSerializer.deserialize({}, cls.name) instanceof cls;
  } catch {
    return false;
  }
}
