/**
 * Keys of children and types. Owns the one identity of a child — (apiVersion, kind, namespace,
 * name) — that the plan, the executor and the caches agree on; guarantees two children of
 * different kinds or namespaces never share a key.
 */
import type { KubeObject } from "../core/kube-object.js";

/**
 * The identity of a child: (apiVersion, kind, namespace, name).
 *
 * Why all four: roperator keyed its desired set by name alone, so a ConfigMap and a Service
 * both called "web" collided and one of them was pruned on every sync.
 */
export function childKey(obj: KubeObject): string {
  return identityKey(obj.apiVersion ?? "", obj.kind ?? "", obj.metadata?.namespace ?? "", obj.metadata?.name ?? "");
}

/** The same key from its parts (namespace "" for cluster-scoped objects). */
export function identityKey(apiVersion: string, kind: string, namespace: string, name: string): string {
  return `${apiVersion}|${kind}|${namespace}|${name}`;
}

/** `apiVersion|kind`: the key of a type. */
export function typeKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** The work-queue key of a parent is its store key: `namespace/name`, or `name` when cluster-scoped. */
export { objectKey } from "../cache/object-store.js";
