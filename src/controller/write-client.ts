import type { KubeObject, ResourceType } from "../core/kube-object.js";

/**
 * The writes the reconciler makes, as a structural slice of `KubeClient`. Kept narrow so the
 * reconciler's modules say exactly which verbs they use (and so RBAC generation can mirror them).
 */
export interface WriteClient {
  /** Looks a child up by name before creating it (undefined when it does not exist). */
  get(type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  create(type: ResourceType, obj: KubeObject, opts?: { fieldManager?: string }): Promise<KubeObject>;
  replace(type: ResourceType, obj: KubeObject, opts?: { fieldManager?: string }): Promise<KubeObject>;
  apply(type: ResourceType, obj: KubeObject, opts: { fieldManager: string; force?: boolean }): Promise<KubeObject>;
  applyStatus(type: ResourceType, obj: KubeObject, opts: { fieldManager: string; force?: boolean }): Promise<KubeObject>;
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    contentType: "merge" | "json",
    opts?: { subresource?: string },
  ): Promise<KubeObject>;
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts?: { propagationPolicy?: "Foreground" | "Background" | "Orphan"; preconditions?: { uid?: string; resourceVersion?: string } },
  ): Promise<KubeObject | undefined>;
}
