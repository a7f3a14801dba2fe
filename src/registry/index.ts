/** The type registry: apiVersion/kind <-> class, and wire JSON <-> instances. */
export { TypeRegistry, type RegisteredType, type TypeCodec, type TypeRegistryOptions } from "./type-registry.js";
export { BUILTIN_TYPES, K8sTypes, builtinFor, builtinForClass } from "../core/builtin-types.js";
export { formatKubeTime, toWireValue, isPlainObject } from "./wire-values.js";
