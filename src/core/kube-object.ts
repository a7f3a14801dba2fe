/**
 * Wire objects: the plain JSON shapes that travel between the runtime and the API server.
 * Class instances exist only in the views handed to user code (see docs/internals.md).
 */

/** Wire form of an owner reference (`metadata.ownerReferences[]`). */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Wire form of one `metadata.managedFields[]` entry (server-side apply bookkeeping). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  /**
   * The fields this manager owns. The runtime's caches keep it as a JSON string (a third of the
   * memory of the parsed tree); readers accept both forms.
   */
  fieldsV1?: Record<string, unknown> | string;
  subresource?: string;
}

/** Wire form of metadata (the subset the runtime reads; other keys pass through untouched). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** Any Kubernetes object in wire JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
}

/** A resolved resource: everything a URL needs. */
export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  /** "v1" or "group/version". */
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

/** The `type` of a watch event. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** One event of a watch stream. For "ERROR" the object is a `Status` (e.g. code 410 Gone). */
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}
