import type { KubeObject, OwnerReference } from "../core/kube-object.js";

/**
 * The label that ties a child to its parent: the parent's uid. Framework-specific on purpose:
 * roperator used `app.kubernetes.io/instance`, which Helm also sets, so charts and operators
 * fought over it.
 */
export const TRACKING_LABEL = "tsoperator.dev/parent-uid";

/** What a child needs to know about its parent to point at it. */
export interface ParentRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/**
 * Returns a copy of `child` that carries the tracking label and a controller ownerReference
 * (controller and blockOwnerDeletion true) to `parent`. Owner references the user set for other
 * owners are kept; one pointing at the same uid is replaced by ours.
 */
export function withOwnership(child: KubeObject, parent: ParentRef): KubeObject {
  const metadata = { ...(child.metadata ?? {}) };
  metadata.labels = { ...(metadata.labels ?? {}), [TRACKING_LABEL]: parent.uid };
  const ours: OwnerReference = {
    apiVersion: parent.apiVersion,
    kind: parent.kind,
    name: parent.name,
    uid: parent.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const others = (metadata.ownerReferences ?? []).filter((ref) => ref.uid !== parent.uid);
  metadata.ownerReferences = [...others, ours];
  return { ...child, metadata };
}

/** The controller ownerReference of an object, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}
