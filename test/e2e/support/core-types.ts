/** The core resource types the e2e tests read and write directly (without discovery), and builders of their objects. */
import type { KubeObject, ResourceType } from "../../../src/kube/index.js";

const core = { group: "", version: "v1", apiVersion: "v1" } as const;

/** `v1` ConfigMaps. */
export const configMaps: ResourceType = { ...core, kind: "ConfigMap", plural: "configmaps", namespaced: true };
/** `v1` Namespaces. */
export const namespaces: ResourceType = { ...core, kind: "Namespace", plural: "namespaces", namespaced: false };
/** `v1` ServiceAccounts. */
export const serviceAccounts: ResourceType = { ...core, kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
/** `v1` Secrets. */
export const secrets: ResourceType = { ...core, kind: "Secret", plural: "secrets", namespaced: true };

/** A `v1` ConfigMap `namespace/name` holding `data` (empty by default), with `labels` if given. */
export function configMap(namespace: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}
