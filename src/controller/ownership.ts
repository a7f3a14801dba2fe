/**
 * Who a child belongs to. Owns the labels and ownerReference that tie a child to its parent and
 * operator, and the one rule that says whether a cached or fetched object is a child
 * (`ownershipOf`). Pure: no I/O.
 *
 * A child of a parent P under operator O is an object
 * - whose controller ownerReference (controller=true) names P's uid,
 * - in P's namespace when P is namespaced,
 * - marked as O's: the operator label says O, or (children written before the operator label
 *   existed) it has no operator label and O's field manager wrote it (managedFields).
 * The tracking label only narrows what the caches hold; carrying it makes nothing a child.
 */
import type { KubeObject, OwnerReference } from "../core/kube-object.js";

/**
 * The label that ties a child to its parent: the parent's uid. Framework-specific on purpose:
 * roperator used `app.kubernetes.io/instance`, which Helm also sets, so charts and operators
 * fought over it.
 */
export const TRACKING_LABEL = "tsoperator.dev/parent-uid";

/**
 * The label that names the operator that wrote a child. Two operators may watch the same parent
 * type; each prunes only the children that carry its own name.
 */
export const OPERATOR_LABEL = "tsoperator.dev/operator";

/**
 * The Kubernetes recommended label saying which tool manages an object. Written on every child
 * with the operator's name, unless the handler set it itself (its value then wins).
 */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

/** What a child needs to know about its parent to point at it. */
export interface ParentRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** Whose children we are looking for: one parent, under one operator. */
export interface ChildOwner {
  parentUid: string;
  /** The parent's namespace when it is namespaced (children must live there); undefined otherwise. */
  parentNamespace?: string;
  /** The operator's name (the value of `OPERATOR_LABEL`). */
  operator: string;
  /** The operator's field manager (recognizes children written before the operator label). */
  fieldManager: string;
  /** The label holding the parent's uid; default {@link TRACKING_LABEL}. */
  trackingLabel?: string;
}

/**
 * How an object relates to an owner:
 * - `ours`: a child of this parent under this operator;
 * - `other-controller`: controlled by someone else (another parent, a Deployment …): never touched;
 * - `other-operator`: controlled by this parent but written by another operator (or by hand);
 * - `uncontrolled`: no controller at all (a same-named object someone created); adoptable on opt-in;
 * - `elsewhere`: outside the parent's namespace: not a child, whatever it says.
 */
export type Ownership = "ours" | "other-controller" | "other-operator" | "uncontrolled" | "elsewhere";

/** Classifies `obj` against `owner` (see the module comment for the rule). */
export function ownershipOf(obj: KubeObject, owner: ChildOwner): Ownership {
  if (owner.parentNamespace !== undefined && (obj.metadata?.namespace ?? "") !== owner.parentNamespace) return "elsewhere";
  const ref = controllerOf(obj);
  if (!ref) return "uncontrolled";
  if (ref.uid !== owner.parentUid) return "other-controller";
  const operator = obj.metadata?.labels?.[OPERATOR_LABEL];
  if (operator !== undefined) return operator === owner.operator ? "ours" : "other-operator";
  return writtenBy(obj, owner.fieldManager) ? "ours" : "other-operator";
}

/** True when a managedFields entry of `fieldManager` exists (children from before the operator label). */
function writtenBy(obj: KubeObject, fieldManager: string): boolean {
  return (obj.metadata?.managedFields ?? []).some((entry) => entry.manager === fieldManager);
}

/**
 * Returns a copy of `child` that carries the tracking label, the operator label, the managed-by
 * label (unless the child sets its own) and a controller ownerReference (controller and
 * blockOwnerDeletion true) to `parent`. Owner references the user set for other owners are kept;
 * one pointing at the same uid is replaced by ours.
 */
export function withOwnership(child: KubeObject, parent: ParentRef, operator: string, trackingLabel = TRACKING_LABEL): KubeObject {
  const metadata = { ...(child.metadata ?? {}) };
  metadata.labels = {
    [MANAGED_BY_LABEL]: operator,
    ...(metadata.labels ?? {}),
    [trackingLabel]: parent.uid,
    [OPERATOR_LABEL]: operator,
  };
  metadata.ownerReferences = [...(metadata.ownerReferences ?? []).filter((ref) => ref.uid !== parent.uid), ownerReferenceTo(parent)];
  return { ...child, metadata };
}

/** The controller ownerReference a child of `parent` carries. */
export function ownerReferenceTo(parent: ParentRef): OwnerReference {
  const { apiVersion, kind, name, uid } = parent;
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The controller ownerReference of an object, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}
