/**
 * Our finalizer on a parent: add it (operators with a finalize handler) and remove it (finalize
 * done, or the operator no longer declares a finalize handler). Owns only the patch; reporting a
 * failed patch is the reconciler's job, like every other failed write.
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import type { WriteClient } from "./write-client.js";

/** True when the object carries the finalizer. */
export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/**
 * Adds the finalizer (when missing) with a merge patch guarded by the cached resourceVersion, so
 * a concurrent change to the finalizer list is never lost: a 409 retries from fresh state.
 * Returns the patched object, or undefined when nothing was sent.
 */
export async function addFinalizer(
  client: WriteClient,
  resource: ResourceType,
  obj: KubeObject,
  finalizer: string,
): Promise<KubeObject | undefined> {
  if (hasFinalizer(obj, finalizer)) return undefined;
  return patchFinalizers(client, resource, obj, [...(obj.metadata?.finalizers ?? []), finalizer]);
}

/** Removes the finalizer (when present); the counterpart of `addFinalizer`. */
export async function removeFinalizer(
  client: WriteClient,
  resource: ResourceType,
  obj: KubeObject,
  finalizer: string,
): Promise<KubeObject | undefined> {
  if (!hasFinalizer(obj, finalizer)) return undefined;
  return patchFinalizers(
    client,
    resource,
    obj,
    (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer),
  );
}

function patchFinalizers(client: WriteClient, resource: ResourceType, obj: KubeObject, finalizers: string[]): Promise<KubeObject> {
  const meta = obj.metadata ?? {};
  const patch = { metadata: { finalizers, resourceVersion: meta.resourceVersion } };
  return client.patch(resource, meta.namespace, meta.name ?? "", patch, "merge");
}
