/**
 * The parent's status: what it should hold (the handler's status + observedGeneration) and the one
 * server-side apply that writes it when the cached status differs. A no-op sync sends nothing.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { isSubset, ownedFields, ownedFieldsMissing } from "./needs-write.js";
import type { WriteClient } from "./write-client.js";

/**
 * The status a parent should carry: the handler's status plus `observedGeneration`, so users and
 * tools can tell whether the status describes the current spec.
 */
export function desiredStatusOf(parent: KubeObject, status: Record<string, unknown>, claimGeneration = true): Record<string, unknown> {
  // A sync whose child writes failed keeps the observedGeneration it had: a reader comparing it
  // with metadata.generation must not believe that this generation is in place.
  if (claimGeneration) {
    const generation = parent.metadata?.generation;
    return generation === undefined ? { ...status } : { ...status, observedGeneration: generation };
  }
  // Not claiming: the previous observedGeneration, or none, whatever the handler put there (a
  // handler that sets it itself, a common habit, claimed the generation whose children failed).
  const { observedGeneration: _fromHandler, ...rest } = status;
  const previous = (parent.status as Record<string, unknown> | undefined)?.observedGeneration;
  return previous === undefined ? rest : { ...rest, observedGeneration: previous };
}

/** True when the parent's cached status already holds `desired` and nothing we owned was dropped. */
export function statusUpToDate(parent: KubeObject, desired: Record<string, unknown>, fieldManager: string): boolean {
  const fields = ownedFields(parent, fieldManager, "status");
  if (!isSubset(desired, parent.status, fields?.["f:status"])) return false;
  return !ownedFieldsMissing(fields, { status: desired }, "status");
}

/**
 * Writes the parent's status through the status subresource with server-side apply, only when it
 * differs from the cached one. With `claimGeneration: false` (the sync's child writes failed) the
 * cached `observedGeneration` is kept instead of the parent's current generation. Returns the written object, or undefined when nothing was sent.
 *
 * Apply (not update) is used so that a concurrent spec change can never be overwritten and no
 * resourceVersion conflict can occur: the status fields are ours by field manager.
 */
export async function writeStatus(
  client: WriteClient,
  resource: ResourceType,
  parent: KubeObject,
  status: Record<string, unknown>,
  fieldManager: string,
  opts: { claimGeneration?: boolean } = {},
): Promise<KubeObject | undefined> {
  const desired = desiredStatusOf(parent, status, opts.claimGeneration ?? true);
  if (statusUpToDate(parent, desired, fieldManager)) return undefined;
  const meta = parent.metadata ?? {};
  const body: KubeObject = {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    metadata: meta.namespace ? { name: meta.name, namespace: meta.namespace } : { name: meta.name },
    status: desired,
  };
  return client.applyStatus(resource, body, { fieldManager, force: true });
}
