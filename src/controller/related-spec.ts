/**
 * Related types and indexes as the runtime reads them: resolved resource types and functions over
 * wire objects (the runner adapts the user's functions, which see class instances). Plain data, so
 * controller/ never reads api/.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import type { LabelSelector } from "../core/label-selector.js";

/** An object named by namespace (absent: the default the selection documents) and name. */
export interface RelatedRef {
  namespace?: string;
  name: string;
}

/**
 * How parents select the objects of a related type:
 * - `names`: the parent names them (a ref without namespace is in the parent's namespace);
 * - `selector`: the parent gives a label selector, matched in its namespace (every namespace for
 *   a cluster-scoped parent); undefined selects nothing;
 * - `map`: each related object names the parents it concerns (a ref without namespace is in the
 *   related object's namespace).
 * The functions may throw: the object is then treated as selecting (or naming) nothing, and the
 * error is reported.
 */
export type RelatedSelection =
  | { by: "names"; names: (parent: KubeObject) => RelatedRef[] }
  | { by: "selector"; selector: (parent: KubeObject) => LabelSelector | undefined }
  | { by: "map"; parentsOf: (related: KubeObject) => RelatedRef[] };

/** What the cache of a related type holds. */
export interface RelatedCacheSpec {
  labelSelector?: string;
  fieldSelector?: string;
  metadataOnly?: boolean;
  transform?: (obj: KubeObject) => KubeObject;
}

/** One related type of an operator. */
export interface RelatedSpec {
  resource: ResourceType;
  selection: RelatedSelection;
  cache: RelatedCacheSpec;
}

/** One user-facing index: the keys of each cached object of `resource` (may throw: no keys, reported). */
export interface IndexSpec {
  name: string;
  resource: ResourceType;
  keys: (obj: KubeObject) => string[];
}
