/**
 * Everything `tsoperator manifests` writes for a set of operators: CRDs, a ServiceAccount,
 * least-privilege roles and bindings, and the Deployment. Pure: configs in, wire objects out.
 */
import type { OperatorConfig } from "../api/operator-config.js";
import type { K8sType, Constructor } from "../core/k8s-type.js";
import type { KubeObject } from "../core/kube-object.js";
import { stringify } from "yaml";
import { crdFor, crdNameOf } from "./crd.js";
import { customResourceOf, type CustomResourceOptions } from "../api/custom-resource.js";
import { deploymentFor } from "./deployment.js";
import { leaderElectionRules, operatorRules, roleWithBinding } from "./rbac.js";
import { isBuiltin } from "./type-names.js";
import { operatorScope } from "../api/scope.js";

/** Options of {@link generateManifests}; every one has a default. */
export interface ManifestOptions {
  /** Name of the ServiceAccount and Deployment. Default: `<operator>-operator` for one operator, else "tsoperator". */
  name?: string;
  /** Namespace the operator is installed in (ServiceAccount, Deployment, Lease). Default "tsoperator-system". */
  installNamespace?: string;
  /** Operators watch only this namespace: Roles there instead of ClusterRoles. */
  watchNamespace?: string;
  /**
   * Operators watch only these namespaces (with `watchNamespace`, the union): a Role and a
   * RoleBinding in each instead of a ClusterRole. An operator's own namespaces win (as when it runs).
   */
  watchNamespaces?: readonly string[];
  /** Operators watch only the parents this selector matches (passed to the Deployment; RBAC cannot narrow by label). */
  labelSelector?: string;
  /** Grant the Lease rules and pass `--leader-elect` (default true). */
  leaderElection?: boolean;
  /** The Deployment is generated only when the module's path inside the image is known. */
  deployment?: { image: string; modulePath: string; replicas?: number; healthPort?: number; workingDir?: string };
}

/** The generated objects, grouped as `--out` writes them. */
export interface GeneratedManifests {
  /** The install namespace, unless it is one every cluster has. */
  namespace?: KubeObject;
  crds: KubeObject[];
  /** ServiceAccount, then each Role/ClusterRole followed by its binding. */
  rbac: KubeObject[];
  deployment?: KubeObject;
}

/** What generation reads of an operator: its config (a `CompiledOperator` or `OperatorDefinition` has one). */
export interface OperatorManifestSource {
  readonly config: OperatorConfig;
}

/** The Lease name `runOperators` uses by default for these operators. */
export function defaultLeaseName(configs: readonly OperatorConfig[]): string {
  return `${configs.map((c) => c.name).join("-")}-leader`;
}

/** Default install name: `<operator>-operator` for one operator, "tsoperator" for several. */
export function defaultAppName(configs: readonly OperatorConfig[]): string {
  return configs.length === 1 ? `${configs[0]!.name}-operator` : "tsoperator";
}

/**
 * The custom kinds to define: every parent that is not built in, and every child type whose class
 * carries `@CustomResource` (a custom child without it is assumed to be defined by someone else).
 */
export function customTypesOf(configs: readonly OperatorConfig[]): Array<{ type: K8sType; options: CustomResourceOptions }> {
  const found = new Map<string, { type: K8sType; options: CustomResourceOptions }>();
  const add = (type: K8sType, cls: Constructor | undefined, always: boolean) => {
    const options = customResourceOf(cls);
    if (isBuiltin(type) || (!always && !options) || found.has(type.key)) return;
    found.set(type.key, { type, options: options ?? {} });
  };
  for (const config of configs) {
    add(config.parent, config.parentClass, true);
    for (const child of config.children) add(child.type, child.cls, false);
  }
  return [...found.values()];
}

/** One CRD per custom group/kind (several versions of one kind share a CRD). */
export function crdsOf(configs: readonly OperatorConfig[]): KubeObject[] {
  const byName = new Map<string, Array<{ type: K8sType; options: CustomResourceOptions }>>();
  for (const entry of customTypesOf(configs)) {
    const name = crdNameOf(entry.type);
    byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  return [...byName.values()].map((versions) => crdFor(versions));
}

/** Generates the manifests of a set of operators run by one process. */
export function generateManifests(operators: readonly OperatorManifestSource[], options: ManifestOptions = {}): GeneratedManifests {
  const configs = operators.map((o) => o.config);
  if (configs.length === 0) throw new TypeError("generateManifests needs at least one operator");
  const installNamespace = options.installNamespace ?? "tsoperator-system";
  const name = options.name ?? defaultAppName(configs);
  const serviceAccount = { name, namespace: installNamespace };
  const leaderElection = options.leaderElection ?? true;

  const rbac: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace: installNamespace, labels: { "app.kubernetes.io/managed-by": "tsoperator" } },
    },
  ];
  const processScope = {
    ...(options.watchNamespace ? { namespace: options.watchNamespace } : {}),
    ...(options.watchNamespaces ? { namespaces: options.watchNamespaces } : {}),
  };
  for (const config of configs) {
    // The scope the operator runs with (api/scope.ts): a namespaced parent scoped to namespaces
    // gets a Role per namespace (its children are namespaced too: a namespaced owner cannot own a
    // cluster-scoped object); a cluster-scoped parent, or no scope, needs a ClusterRole.
    const { namespaces } = operatorScope(config, processScope, config.parent.namespaced !== false);
    const target = { name: `tsoperator-${config.name}`, serviceAccount };
    const rules = operatorRules(config);
    if (namespaces) for (const namespace of namespaces) rbac.push(...roleWithBinding({ ...target, namespace }, rules));
    else rbac.push(...roleWithBinding(target, rules));
  }
  if (leaderElection) {
    rbac.push(
      ...roleWithBinding(
        { name: `${name}-leader-election`, namespace: installNamespace, serviceAccount },
        leaderElectionRules(defaultLeaseName(configs)),
      ),
    );
  }

  const result: GeneratedManifests = { crds: crdsOf(configs), rbac };
  if (!["default", "kube-system"].includes(installNamespace)) {
    result.namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: installNamespace } };
  }
  if (options.deployment) {
    result.deployment = deploymentFor({
      ...options.deployment,
      name,
      namespace: installNamespace,
      serviceAccountName: name,
      leaderElection,
      ...(options.watchNamespace ? { watchNamespace: options.watchNamespace } : {}),
      ...(options.watchNamespaces ? { watchNamespaces: options.watchNamespaces } : {}),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    });
  }
  return result;
}

/** Every generated object in apply order: namespace, CRDs, RBAC, Deployment. */
export function allObjects(manifests: GeneratedManifests): KubeObject[] {
  return [
    ...(manifests.namespace ? [manifests.namespace] : []),
    ...manifests.crds,
    ...manifests.rbac,
    ...(manifests.deployment ? [manifests.deployment] : []),
  ];
}

/** A multi-document YAML stream (`---` between objects), as kubectl reads it. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}
