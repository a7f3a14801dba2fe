/**
 * The built-in kinds the registry knows without discovery: apiVersion/kind, plural, scope and
 * the name of client-node's model class for each. Pure data: the model classes are named, not
 * imported (importing one from client-node's index loads every generated model and API, ~75 MB of
 * RSS); the registry loads a class by its name when an object of the kind is converted.
 */
import { K8sType } from "./k8s-type.js";

/** One built-in kind and the name of the client-node model class that represents it (a row of the table, unnamed outside it). */
type BuiltinType = { readonly type: K8sType; readonly modelName: string };

const NS = true;
const CLUSTER = false;

function builtin(apiVersion: string, kind: string, plural: string, namespaced: boolean, modelName: string): BuiltinType {
  return Object.freeze({ type: K8sType.of(apiVersion, kind, { plural, namespaced }), modelName });
}

/** Every built-in kind, grouped by apiVersion. */
export const BUILTIN_TYPES: readonly BuiltinType[] = Object.freeze([
  // core/v1
  builtin("v1", "Pod", "pods", NS, "V1Pod"),
  builtin("v1", "Service", "services", NS, "V1Service"),
  builtin("v1", "ConfigMap", "configmaps", NS, "V1ConfigMap"),
  builtin("v1", "Secret", "secrets", NS, "V1Secret"),
  builtin("v1", "ServiceAccount", "serviceaccounts", NS, "V1ServiceAccount"),
  builtin("v1", "PersistentVolumeClaim", "persistentvolumeclaims", NS, "V1PersistentVolumeClaim"),
  builtin("v1", "PersistentVolume", "persistentvolumes", CLUSTER, "V1PersistentVolume"),
  builtin("v1", "Namespace", "namespaces", CLUSTER, "V1Namespace"),
  builtin("v1", "Node", "nodes", CLUSTER, "V1Node"),
  builtin("v1", "Endpoints", "endpoints", NS, "V1Endpoints"),
  builtin("v1", "Event", "events", NS, "CoreV1Event"),
  builtin("v1", "LimitRange", "limitranges", NS, "V1LimitRange"),
  builtin("v1", "ResourceQuota", "resourcequotas", NS, "V1ResourceQuota"),
  builtin("v1", "ReplicationController", "replicationcontrollers", NS, "V1ReplicationController"),
  builtin("v1", "PodTemplate", "podtemplates", NS, "V1PodTemplate"),
  // apps/v1
  builtin("apps/v1", "Deployment", "deployments", NS, "V1Deployment"),
  builtin("apps/v1", "StatefulSet", "statefulsets", NS, "V1StatefulSet"),
  builtin("apps/v1", "DaemonSet", "daemonsets", NS, "V1DaemonSet"),
  builtin("apps/v1", "ReplicaSet", "replicasets", NS, "V1ReplicaSet"),
  builtin("apps/v1", "ControllerRevision", "controllerrevisions", NS, "V1ControllerRevision"),
  // batch/v1
  builtin("batch/v1", "Job", "jobs", NS, "V1Job"),
  builtin("batch/v1", "CronJob", "cronjobs", NS, "V1CronJob"),
  // networking.k8s.io/v1
  builtin("networking.k8s.io/v1", "Ingress", "ingresses", NS, "V1Ingress"),
  builtin("networking.k8s.io/v1", "IngressClass", "ingressclasses", CLUSTER, "V1IngressClass"),
  builtin("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", NS, "V1NetworkPolicy"),
  // rbac.authorization.k8s.io/v1
  builtin("rbac.authorization.k8s.io/v1", "Role", "roles", NS, "V1Role"),
  builtin("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", NS, "V1RoleBinding"),
  builtin("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", CLUSTER, "V1ClusterRole"),
  builtin("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", CLUSTER, "V1ClusterRoleBinding"),
  // policy/v1
  builtin("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", NS, "V1PodDisruptionBudget"),
  // coordination.k8s.io/v1
  builtin("coordination.k8s.io/v1", "Lease", "leases", NS, "V1Lease"),
  // autoscaling/v2
  builtin("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", NS, "V2HorizontalPodAutoscaler"),
  // a few more that operators commonly own or install
  builtin("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", NS, "V1EndpointSlice"),
  builtin("storage.k8s.io/v1", "StorageClass", "storageclasses", CLUSTER, "V1StorageClass"),
  builtin("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", CLUSTER, "V1PriorityClass"),
  builtin("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", CLUSTER, "V1CustomResourceDefinition"),
]);

const byModelName = new Map<string, BuiltinType>(BUILTIN_TYPES.map((b) => [b.modelName, b]));
const byKey = new Map<string, BuiltinType>(BUILTIN_TYPES.map((b) => [b.type.key, b]));

/**
 * The built-in entry of a client-node model class (e.g. `V1Pod`), if it is one: known by its
 * name and the generated models' `getAttributeTypeMap` (read without loading client-node).
 */
export function builtinForClass(cls: unknown): BuiltinType | undefined {
  if (typeof cls !== "function" || typeof (cls as { getAttributeTypeMap?: unknown }).getAttributeTypeMap !== "function") return undefined;
  return byModelName.get(cls.name);
}

/** The built-in entry of an apiVersion/kind, if it is one. */
export function builtinFor(apiVersion: string, kind: string): BuiltinType | undefined {
  return byKey.get(K8sType.keyOf(apiVersion, kind));
}

function t(apiVersion: string, kind: string): K8sType {
  return builtinFor(apiVersion, kind)!.type;
}

/**
 * Constants for common built-in types, with plural and scope filled in:
 * `K8sTypes.Pod`, `K8sTypes.Deployment`, ...
 */
export const K8sTypes = Object.freeze({
  Pod: t("v1", "Pod"),
  Service: t("v1", "Service"),
  ConfigMap: t("v1", "ConfigMap"),
  Secret: t("v1", "Secret"),
  ServiceAccount: t("v1", "ServiceAccount"),
  PersistentVolumeClaim: t("v1", "PersistentVolumeClaim"),
  PersistentVolume: t("v1", "PersistentVolume"),
  Namespace: t("v1", "Namespace"),
  Node: t("v1", "Node"),
  Event: t("v1", "Event"),
  Deployment: t("apps/v1", "Deployment"),
  StatefulSet: t("apps/v1", "StatefulSet"),
  DaemonSet: t("apps/v1", "DaemonSet"),
  ReplicaSet: t("apps/v1", "ReplicaSet"),
  Job: t("batch/v1", "Job"),
  CronJob: t("batch/v1", "CronJob"),
  Ingress: t("networking.k8s.io/v1", "Ingress"),
  NetworkPolicy: t("networking.k8s.io/v1", "NetworkPolicy"),
  Role: t("rbac.authorization.k8s.io/v1", "Role"),
  RoleBinding: t("rbac.authorization.k8s.io/v1", "RoleBinding"),
  ClusterRole: t("rbac.authorization.k8s.io/v1", "ClusterRole"),
  ClusterRoleBinding: t("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
  PodDisruptionBudget: t("policy/v1", "PodDisruptionBudget"),
  Lease: t("coordination.k8s.io/v1", "Lease"),
  HorizontalPodAutoscaler: t("autoscaling/v2", "HorizontalPodAutoscaler"),
  CustomResourceDefinition: t("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
});
