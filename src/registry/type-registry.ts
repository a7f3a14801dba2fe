/**
 * `TypeRegistry`: apiVersion/kind <-> class, and the conversions between wire JSON and class
 * instances. client-node models convert through `model-codec.ts` (client-node's serializer rules,
 * loading only the model classes a conversion meets); `@KubernetesType` classes through
 * class-transformer (their fields carry wire names, so unknown keys survive). The built-in kinds
 * are known by the name of their model class, loaded when an object of the kind is first converted.
 */
import { instanceToPlain, plainToInstance } from "class-transformer";
import { UnknownTypeError } from "../core/errors.js";
import { K8sType, type Constructor } from "../core/k8s-type.js";
import { kubernetesTypeOf } from "../core/type-ref.js";
import { describeTypeRef, resolveTypeRef, type TypeRef } from "../core/type-ref.js";
import type { KubeObject } from "../core/kube-object.js";
import { BUILTIN_TYPES, builtinForClass } from "../core/builtin-types.js";
import { deserializeModel, isModelClass, modelClass, serializeModel } from "./model-codec.js";
import { formatDatesIn, isPlainObject, toWireValue } from "./wire-values.js";

/** How instances of a registered type are made. */
export type TypeCodec =
  /** a client-node model class (V1Pod, ...): client-node's ObjectSerializer */
  | "model"
  /** a user class: class-transformer, fields named as on the wire */
  | "class"
  /** no class: views hand out deep copies of the wire objects */
  | "plain";

/** A type the registry knows. */
export interface RegisteredType {
  readonly type: K8sType;
  /** The class instances are made of (the first class registered for the kind). */
  readonly cls?: Constructor;
  readonly codec: TypeCodec;
}

/** Options of a registry. */
export interface TypeRegistryOptions {
  /** Register the built-in kinds (core/v1, apps/v1, ...). Default true. */
  readonly builtins?: boolean;
}

interface ClassEntry {
  readonly type: K8sType;
  readonly codec: "model" | "class";
}

/**
 * Maps resource types to classes and converts objects in both directions.
 *
 * ```ts
 * const registry = new TypeRegistry();
 * const pod = registry.toInstance<V1Pod>(wirePod);   // pod instanceof V1Pod
 * const wire = registry.toWire(pod);                  // plain JSON, keys as the API names them
 * ```
 */
export class TypeRegistry {
  private readonly byKey = new Map<string, RegisteredType>();
  private readonly byClass = new Map<Function, ClassEntry>();
  private readonly builtins: boolean;

  constructor(options: TypeRegistryOptions = {}) {
    this.builtins = options.builtins ?? true;
    if (this.builtins) {
      for (const b of BUILTIN_TYPES) this.byKey.set(b.type.key, lazyModelType(b.type, b.modelName));
    }
  }

  /**
   * Registers a type, optionally with its class; returns what the registry now holds for it.
   * `register(EchoServer)` reads the type from `@KubernetesType`. Registering again is harmless:
   * plural/scope fill in what was unknown, and the first class registered for a kind stays the
   * one `toInstance` uses (a later class is still known to `forClass` and `toWire`).
   */
  register(type: TypeRef, cls?: Constructor): RegisteredType {
    const resolved = resolveTypeRef(type);
    const klass = cls ?? resolved.cls;
    const k8sType = resolved.type;
    if (klass) {
      const known = this.byClass.get(klass);
      if (known && !known.type.equals(k8sType)) {
        throw new UnknownTypeError(
          `${describeTypeRef(klass)} is already registered as ${known.type}; one class models one kind, ` +
            `so declare a separate class for ${k8sType}`,
        );
      }
      const codec = isModelClass(klass) ? "model" : "class";
      this.byClass.set(klass, { type: known ? mergeDetails(known.type, k8sType) : k8sType, codec });
    }
    const existing = this.byKey.get(k8sType.key);
    let merged: RegisteredType;
    if (!existing) {
      merged = { type: k8sType, cls: klass, codec: klass ? this.byClass.get(klass)!.codec : "plain" };
    } else if (!klass || hasClass(existing)) {
      // The first class registered for a kind stays; a built-in's model class stays unloaded.
      const type = mergeDetails(existing.type, k8sType);
      const name = modelNameOf(existing);
      merged = name !== undefined ? lazyModelType(type, name) : { type, cls: existing.cls, codec: existing.codec };
    } else {
      merged = { type: mergeDetails(existing.type, k8sType), cls: klass, codec: this.byClass.get(klass)!.codec };
    }
    this.byKey.set(k8sType.key, Object.freeze(merged));
    return merged;
  }

  /** The registered type of an apiVersion/kind, if any. */
  lookup(apiVersion: string, kind: string): RegisteredType | undefined {
    return this.byKey.get(K8sType.keyOf(apiVersion, kind));
  }

  /**
   * The registered type of a class. A `@KubernetesType` class not registered yet is registered
   * on first use, so users need not register their own classes by hand.
   */
  forClass(cls: Function): RegisteredType | undefined {
    const entry = this.classEntry(cls);
    return entry ? this.byKey.get(entry.type.key) : undefined;
  }

  /** Like `forClass`/`register` for any type reference, throwing `UnknownTypeError` when unknown. */
  resolve(ref: TypeRef): RegisteredType {
    if (typeof ref === "function") {
      const found = this.forClass(ref);
      if (found) return found;
    } else {
      const type = resolveTypeRef(ref).type;
      const found = this.lookup(type.apiVersion, type.kind);
      if (found) return found;
    }
    return this.register(ref);
  }

  /**
   * Wire JSON -> instance of the class registered for its apiVersion/kind (or of `cls` when
   * given). A kind registered without a class yields a deep copy of the wire object.
   * Throws `UnknownTypeError` for a kind the registry does not know.
   */
  toInstance<T = unknown>(wire: KubeObject, cls?: Constructor<T>): T {
    if (cls) {
      const entry = this.classEntry(cls);
      if (!entry) throw unknownClass(cls);
      return this.instantiate(wire, cls, entry.codec) as T;
    }
    const registered =
      wire && typeof wire.apiVersion === "string" && typeof wire.kind === "string" ? this.lookup(wire.apiVersion, wire.kind) : undefined;
    if (!registered) {
      throw new UnknownTypeError(
        `no class is registered for ${String(wire?.apiVersion)} ${String(wire?.kind)}: declare it as a child or parent type, ` +
          `or call registry.register(K8sType.of(apiVersion, kind), TheClass)`,
      );
    }
    if (!registered.cls) return structuredClone(wire) as T;
    return this.instantiate(wire, registered.cls, registered.codec as "model" | "class") as T;
  }

  /**
   * Instance or plain object -> wire JSON (a fresh copy, no `undefined` keys, RFC 3339 times).
   * Plain objects are taken as wire JSON already. Instances of registered classes convert through
   * their codec and get apiVersion/kind from the registry when they lack them. Throws
   * `UnknownTypeError` for an instance of a class the registry cannot map.
   */
  toWire(objOrInstance: unknown): KubeObject {
    if (objOrInstance === null || typeof objOrInstance !== "object" || Array.isArray(objOrInstance)) {
      throw new TypeError(
        `toWire expects a Kubernetes object, got ${objOrInstance === null ? "null" : Array.isArray(objOrInstance) ? "an array" : typeof objOrInstance}`,
      );
    }
    return this.convertToWire(objOrInstance) as KubeObject;
  }

  /**
   * Any value (a status, say) -> wire JSON: like `toWire`, but for values that are not whole
   * Kubernetes objects. Nested model instances (a `V1Condition`) use their wire key names,
   * Dates become RFC 3339 strings, `undefined` keys are dropped.
   */
  valueToWire(value: unknown): unknown {
    return value !== null && typeof value === "object" && !Array.isArray(value) && !isPlainObject(value) && !(value instanceof Date)
      ? this.convertToWire(value)
      : toWireValue(value, this.convertToWire);
  }

  private classEntry(cls: Function): ClassEntry | undefined {
    const entry = this.byClass.get(cls);
    if (entry) return entry;
    // A built-in's model class (V1Pod) is known once seen: the table names it, nothing loaded it before.
    if (!kubernetesTypeOf(cls) && !(this.builtins && builtinForClass(cls) && isModelClass(cls))) return undefined;
    this.register(cls as Constructor);
    return this.byClass.get(cls);
  }

  private instantiate(wire: KubeObject, cls: Constructor, codec: "model" | "class"): unknown {
    if (codec === "model") return deserializeModel(wire, cls.name);
    const instance = plainToInstance(cls as new () => object, wire) as Record<string, unknown>;
    // Metadata as the model class, as user classes declare it (`metadata!: V1ObjectMeta`):
    // timestamps become Dates, exactly as in built-in kinds.
    if (isPlainObject(wire.metadata)) instance.metadata = deserializeModel(wire.metadata, "V1ObjectMeta");
    return instance;
  }

  private readonly convertToWire = (value: object): unknown => {
    if (isPlainObject(value)) return toWireValue(value, this.convertToWire);
    if (value instanceof Date) return toWireValue(value);
    const entry = this.byClass.get(value.constructor) ?? (value.constructor ? this.classEntry(value.constructor) : undefined);
    if (!entry) {
      // An unregistered nested object (a V1Container inside a plain object, say): a client-node
      // model still converts by its class name; anything else is copied key by key.
      const ctor = value.constructor;
      if (ctor && isModelClass(ctor)) return toWireValue(serializeModel(formatDatesIn(value), ctor.name));
      if (isKubeObjectLike(value)) throw unknownClass(ctor);
      return toWireValue({ ...value }, this.convertToWire);
    }
    let wire: Record<string, unknown>;
    if (entry.codec === "model") {
      wire = toWireValue(serializeModel(formatDatesIn(value), value.constructor.name)) as Record<string, unknown>;
    } else {
      const { metadata, ...rest } = value as Record<string, unknown>;
      wire = toWireValue(instanceToPlain(Object.assign(Object.create(Object.getPrototypeOf(value)), rest)), this.convertToWire) as Record<
        string,
        unknown
      >;
      if (metadata !== undefined) {
        wire = {
          ...wire,
          metadata:
            metadata instanceof (modelClass("V1ObjectMeta") ?? NoClass)
              ? toWireValue(serializeModel(formatDatesIn(metadata), "V1ObjectMeta"))
              : this.convertToWire(metadata as object),
        };
      }
    }
    // apiVersion/kind first, as the API writes them, and set even when the instance lacks them.
    const { apiVersion, kind, ...fields } = wire;
    return { apiVersion: apiVersion ?? entry.type.apiVersion, kind: kind ?? entry.type.kind, ...fields };
  };
}

const MODEL_NAME = Symbol("modelName");

/** What the registry holds for a built-in kind: its model class is loaded (by name) when first read. */
function lazyModelType(type: K8sType, modelName: string): RegisteredType {
  let cls: Constructor | undefined;
  const entry = { type, codec: "model" as const, [MODEL_NAME]: modelName };
  Object.defineProperty(entry, "cls", {
    enumerable: true,
    get: () => {
      cls ??= modelClass(modelName) as unknown as Constructor | undefined;
      return cls;
    },
  });
  return Object.freeze(entry) as RegisteredType;
}

function modelNameOf(entry: RegisteredType): string | undefined {
  return (entry as { [MODEL_NAME]?: string })[MODEL_NAME];
}

/** Whether an entry has a class, without loading a built-in's model class to find out. */
function hasClass(entry: RegisteredType): boolean {
  return modelNameOf(entry) !== undefined || entry.cls !== undefined;
}

/** Nothing is an instance of it: stands in for a model class client-node does not have. */
class NoClass {}

function mergeDetails(a: K8sType, b: K8sType): K8sType {
  if ((a.plural !== undefined || b.plural === undefined) && (a.namespaced !== undefined || b.namespaced === undefined)) return a;
  return a.withDetails({ plural: a.plural ?? b.plural, namespaced: a.namespaced ?? b.namespaced });
}

function isKubeObjectLike(value: object): boolean {
  return "metadata" in value || "apiVersion" in value || "kind" in value;
}

function unknownClass(cls: Function | undefined): UnknownTypeError {
  return new UnknownTypeError(
    `${cls ? describeTypeRef(cls) : "this object's class"} is not a registered Kubernetes type: decorate it with ` +
      `@KubernetesType({ apiVersion, kind }), register it with registry.register(K8sType.of(apiVersion, kind), TheClass), ` +
      `or return a plain wire object`,
  );
}
