/** The core resource types the e2e tests read and write directly (without discovery). */
import type { ResourceType } from "../../../src/kube/index.js";

const core = { group: "", version: "v1", apiVersion: "v1" } as const;

/** `v1` ConfigMaps. */
export const configMaps: ResourceType = { ...core, kind: "ConfigMap", plural: "configmaps", namespaced: true };
/** `v1` Namespaces. */
export const namespaces: ResourceType = { ...core, kind: "Namespace", plural: "namespaces", namespaced: false };
/** `v1` ServiceAccounts. */
export const serviceAccounts: ResourceType = { ...core, kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
/** `v1` Secrets. */
export const secrets: ResourceType = { ...core, kind: "Secret", plural: "secrets", namespaced: true };
