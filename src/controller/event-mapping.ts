/**
 * From cache events to reconcile requests: which parent an event concerns, and whether it needs a
 * sync at all. Pure functions, no I/O, unit-tested without a server; the controller only wires an
 * informer to a mapper and queues what comes out, so a new event source (related resources) is a
 * new mapper, not a change to the loop.
 *
 * Guarantees:
 * - a parent's own events enqueue it, except changes of status and server bookkeeping alone (our
 *   own status writes cause those). The comparison is with what the handlers last saw (the
 *   informer's `oldObject`), never with a write answer, so no spec change is mistaken for one;
 * - a parent's DELETED event asks to forget it (its retries and delayed resyncs);
 * - a child's events enqueue the parent its controller ownerReference names, for a namespaced
 *   parent only from the parent's namespace (and the operator's namespaces when it has them), for a
 *   cluster-scoped parent whatever the operator's namespace is.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { deepEqual } from "../core/deep-equal.js";
import { splitApiVersion } from "../kube/paths.js";
import type { StoreEvent } from "../cache/object-store.js";
import { OPERATOR_LABEL, controllerOf } from "./ownership.js";

/** A request to reconcile one parent: what the work queue carries (as {@link requestKey}). */
export interface ReconcileRequest {
  /** The parent's namespace; absent for a cluster-scoped parent. */
  readonly namespace?: string;
  readonly name: string;
}

/** The request of a parent object. */
export function requestOf(parent: KubeObject): ReconcileRequest {
  const name = parent.metadata?.name ?? "";
  const namespace = parent.metadata?.namespace;
  return namespace ? { namespace, name } : { name };
}

/**
 * The one key of a request: `namespace/name`, or `name` for a cluster-scoped parent (the same as
 * the cache's store key, so `errorCount` and the cache agree).
 */
export function requestKey(request: ReconcileRequest): string {
  return request.namespace ? `${request.namespace}/${request.name}` : request.name;
}

/**
 * The request behind a {@link requestKey} (the work queue holds keys). Lossless: neither a
 * namespace nor an object name may contain "/".
 */
export function requestFromKey(key: string): ReconcileRequest {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Maps an event of some watched type to the parents whose sync it calls for. The shape every event
 * source plugs in with (children today; related resources next): the controller queues what it returns.
 */
export type EventMapper = (event: StoreEvent) => readonly ReconcileRequest[];

/** What to do with a parent event. */
export type ParentEventAction =
  | { action: "enqueue"; request: ReconcileRequest }
  | { action: "forget"; request: ReconcileRequest }
  | { action: "ignore"; request: ReconcileRequest };

/** Maps a parent's own event: enqueue it, forget it (deleted), or ignore it (status-only change). */
export function mapParentEvent(event: StoreEvent): ParentEventAction {
  const request = requestOf(event.object);
  if (event.type === "DELETED") return { action: "forget", request };
  const statusOnly = event.type === "MODIFIED" && event.oldObject !== undefined && onlyStatusChanged(event.oldObject, event.object);
  return statusOnly ? { action: "ignore", request } : { action: "enqueue", request };
}

/** The operator a child event is mapped for: its parent type and the namespace it is limited to. */
export interface ChildEventOwner {
  parent: ResourceType;
  /** The operator's namespaces (its scope); they limit only namespaced parents. */
  namespaces?: readonly string[];
  /** The operator's name: events of children another operator wrote (`OPERATOR_LABEL`) are ignored. */
  operator?: string;
}

/** The {@link EventMapper} of an operator's child types. */
export function childEventMapper(owner: ChildEventOwner): EventMapper {
  return (event) => mapChildEvent(event, owner);
}

/** The parent (at most one) whose sync a child's event calls for: the one its controller ownerReference names. */
export function mapChildEvent(event: StoreEvent, owner: ChildEventOwner): ReconcileRequest[] {
  const child = event.object;
  // Another operator's child of the same parent (two operators on one parent type): not ours to sync for.
  const writtenBy = child.metadata?.labels?.[OPERATOR_LABEL];
  if (owner.operator !== undefined && writtenBy !== undefined && writtenBy !== owner.operator) return [];
  const ref = controllerOf(child);
  if (!ref || ref.kind !== owner.parent.kind || splitApiVersion(ref.apiVersion).group !== owner.parent.group) return [];
  // A cluster-scoped parent has no namespace: the operator's namespace does not apply to it
  // (comparing it with `undefined` dropped every child event; issue 9 item 9).
  if (!owner.parent.namespaced) return [{ name: ref.name }];
  // A namespaced owner can own only objects of its own namespace (the garbage collector agrees).
  const namespace = child.metadata?.namespace;
  if (!namespace || (owner.namespaces && !owner.namespaces.includes(namespace))) return [];
  return [{ namespace, name: ref.name }];
}

/**
 * True when two versions of a parent differ only in status and server bookkeeping. Our own status
 * writes cause such events; reacting to them would run every sync twice (Kopf and
 * controller-runtime's GenerationChangedPredicate skip them too).
 */
export function onlyStatusChanged(old: KubeObject, cur: KubeObject): boolean {
  for (const key of new Set([...Object.keys(old), ...Object.keys(cur)])) {
    if (key === "status" || key === "metadata") continue;
    if (!deepEqual(old[key], cur[key])) return false;
  }
  const a = old.metadata ?? {};
  const b = cur.metadata ?? {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === "resourceVersion" || key === "managedFields") continue;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
