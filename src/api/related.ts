/**
 * Related resources and indexes, as users declare them. A related type is one an operator reads
 * but never writes (a Secret its spec names, the Services its rules point at): the runtime caches
 * it, puts the objects each parent selects into that parent's `SyncRequest` (`req.related`), and
 * syncs exactly the parents that selected an object when it is added, changed or deleted.
 * An index (`index(type, name, keys)`) is a lookup table the runtime keeps over a watched type,
 * read from the request with `req.lookup(index, key)`.
 *
 * Plain data and functions, no I/O: `OperatorConfig.withRelated` / `withIndex` and
 * `@Operator({ related, indexes })` record them; the runner turns them into the runtime's specs.
 */
import type { Constructor, K8sType } from "../core/k8s-type.js";
import type { KubeObject } from "../core/kube-object.js";
import type { LabelSelector } from "../core/label-selector.js";
import { resolveTypeRef, type TypeRef } from "../core/type-ref.js";

/** An object named by namespace and name (namespace absent: see where it is used for the default). */
export interface ObjectRef {
  /** The namespace; absent for a cluster-scoped object, or to take the default the caller documents. */
  readonly namespace?: string;
  /** The object's name. */
  readonly name: string;
}

/** A related object named from the parent: a name (in the parent's namespace), or an {@link ObjectRef}. */
export type RelatedName = string | ObjectRef;

/**
 * What the cache of a related type holds: the memory an operator spends on it. Secrets are the
 * classic out-of-memory cause of operators; a selector keeps the rest of the cluster's Secrets out
 * of the process, `metadataOnly` keeps their data on the API server.
 */
export interface RelatedCacheOptions {
  /** Cache (list and watch) only objects with these labels; others are never seen, nor selectable. */
  readonly labelSelector?: LabelSelector;
  /** Cache only objects matching this field selector, e.g. `"type=kubernetes.io/tls"` for Secrets. */
  readonly fieldSelector?: string;
  /**
   * Cache metadata only (names, labels, annotations, resourceVersion; no `data`, `spec`, `status`):
   * the API server sends `PartialObjectMetadata`. Views still hold instances of the type's class,
   * with only `metadata` set. For "react when it changes" without reading the content.
   */
  readonly metadataOnly?: boolean;
  /**
   * Applied to every object before it is cached (drop what the handler never reads). Operators that
   * declare the same type with the same options (same function) share one cache.
   */
  readonly transform?: (obj: KubeObject) => KubeObject;
}

/**
 * One related type of an operator: its type, how a parent selects the objects it needs (exactly
 * one of `names`, `selector`, `parentsOf`), and what the cache holds of it.
 *
 * ```ts
 * @Operator({
 *   name: "database",
 *   parent: Database,
 *   related: [{ type: K8sTypes.Secret, names: (db: Database) => db.spec.secretRef.name }],
 * })
 * ```
 */
export interface RelatedOptions<P = any, R = any> {
  /** The related type: a client-node model class (V1Secret), a @KubernetesType class or a K8sType. */
  readonly type: TypeRef;
  /**
   * By name, from the parent (the parent alone decides): a name, several, or `{ namespace, name }`.
   * A bare name is in the parent's namespace (a namespaced related type of a cluster-scoped parent
   * needs the namespace). `undefined`/`null`/`[]`: nothing selected.
   */
  readonly names?: (parent: P) => RelatedName | readonly RelatedName[] | undefined | null;
  /**
   * By label selector, from the parent (the parent alone decides): the related objects in the
   * parent's namespace (every namespace for a cluster-scoped parent) whose labels match.
   * `undefined`/`null`: nothing selected.
   */
  readonly selector?: (parent: P) => LabelSelector | undefined | null;
  /**
   * A map from a related object to the parents that care about it (controller-runtime's
   * `EnqueueRequestsFromMapFunc`); the related object alone decides. A parent's snapshot holds the
   * related objects that named it. A ref without namespace is in the related object's namespace.
   */
  readonly parentsOf?: (related: R) => readonly ObjectRef[] | undefined | null;
  /** What the cache holds of this type (default: every object of the type in the operator's scope). */
  readonly cache?: RelatedCacheOptions;
}

/** One related type, as `OperatorConfig` holds it (the type resolved). */
export interface RelatedTypeConfig {
  /** The related type. */
  readonly type: K8sType;
  /** The class views convert to, if given. */
  readonly cls?: Constructor;
  /** See {@link RelatedOptions.names}. */
  readonly names?: RelatedOptions["names"];
  /** See {@link RelatedOptions.selector}. */
  readonly selector?: RelatedOptions["selector"];
  /** See {@link RelatedOptions.parentsOf}. */
  readonly parentsOf?: RelatedOptions["parentsOf"];
  /** What the cache holds of this type. */
  readonly cache: RelatedCacheOptions;
}

/** The keys an index function gives an object: one, several, or none (`undefined`, `null`, `[]`). */
export type IndexKeys = string | readonly string[] | undefined | null;

/**
 * A user-facing index over a watched type: the runtime keeps, for every cached object of `type`,
 * the keys `keys` gives it, and `req.lookup(index, key)` returns the objects with that key
 * (Kopf's `@kopf.index`, controller-runtime's field indexer). Made by {@link index}.
 */
export interface IndexDefinition<T = any> {
  /** The index's name, unique within the operator. */
  readonly name: string;
  /** The indexed type (the parent, a child or related type, or any other type: then it is watched too). */
  readonly type: K8sType;
  /** The class objects are converted to before `keys` sees them and when looked up. */
  readonly cls?: Constructor;
  /** The keys of one object. */
  readonly keys: (obj: T) => IndexKeys;
}

/**
 * Declares an index: `keys` maps each cached object of `type` to its keys; look objects up from
 * a request with `req.lookup(theIndex, key)` (optionally within a namespace). Register it with
 * `@Operator({ indexes: [theIndex] })` or `config.withIndex(theIndex)`.
 *
 * ```ts
 * export const bySecret = index(Database, "by-secret", (db) => db.spec.secretRef?.name);
 * // in sync: which databases share this one's Secret?
 * const sharing = req.lookup(bySecret, req.parent.spec.secretRef.name, req.parent.metadata.namespace);
 * ```
 */
export function index<T>(type: Constructor<T>, name: string, keys: (obj: T) => IndexKeys): IndexDefinition<T>;
export function index<T = KubeObject>(type: TypeRef, name: string, keys: (obj: T) => IndexKeys): IndexDefinition<T>;
export function index<T>(type: TypeRef, name: string, keys: (obj: T) => IndexKeys): IndexDefinition<T> {
  const resolved = resolveTypeRef(type);
  return Object.freeze({ name, type: resolved.type, ...(resolved.cls ? { cls: resolved.cls } : {}), keys });
}
