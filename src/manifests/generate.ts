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
import { webhookSpecsOf, type WebhookInput, type WebhookSpec } from "../webhook/definitions.js";
import {
  caInjectionAnnotations,
  conversionStanzaFor,
  conversionsByCrd,
  serviceEndpoint,
  webhookConfigurationsFor,
  webhookDeploymentObjects,
  webhookNames,
  type WebhookCertificateSource,
} from "./webhooks.js";
import { platformObjectsFor, RESTRICTED_POD_SECURITY_LABELS, type PlatformOptions } from "./platform.js";

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
  /**
   * The module's webhooks: adds their configurations, the conversion stanza of converted CRDs, a
   * Service, cert-manager's Issuer and Certificate (unless `webhookCertificates: "manual"`), and
   * the webhook port and certificate volume of the Deployment. RBAC is unchanged (serving needs none).
   */
  webhooks?: readonly WebhookInput[];
  /** Default "cert-manager". */
  webhookCertificates?: WebhookCertificateSource;
  /** Webhook server port in the pod (default 9443). */
  webhookPort?: number;
  /** The Deployment is generated only when the module's path inside the image is known. */
  deployment?: {
    image: string;
    modulePath: string;
    replicas?: number;
    healthPort?: number;
    workingDir?: string;
    imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  };
  /**
   * The objects around the Deployment (platform.ts): metrics Service, ServiceMonitor, Grafana
   * dashboard, PodDisruptionBudget, NetworkPolicy, and `restricted` pod-security labels on the
   * install namespace. Left out, none are generated; the CLI passes them.
   */
  platform?: PlatformOptions;
}

/** The generated objects, grouped as `--out` writes them. */
export interface GeneratedManifests {
  /** The install namespace, unless it is one every cluster has. */
  namespace?: KubeObject;
  crds: KubeObject[];
  /** ServiceAccount, then each Role/ClusterRole followed by its binding. */
  rbac: KubeObject[];
  deployment?: KubeObject;
  /** Service, Issuer and Certificate, then the Validating/MutatingWebhookConfigurations (empty without webhooks). */
  webhooks: KubeObject[];
  /** With `platform` and a Deployment: the metrics Service, PodDisruptionBudget and NetworkPolicy. */
  workload?: KubeObject[];
  /** With `platform` and a Deployment: the ServiceMonitor and the dashboard ConfigMap, when asked for. */
  monitoring?: KubeObject[];
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

  const webhookSpecs: WebhookSpec[] = webhookSpecsOf(options.webhooks ?? []);
  const webhookOptions = {
    name,
    namespace: installNamespace,
    ...(options.webhookPort !== undefined ? { port: options.webhookPort } : {}),
    ...(options.webhookCertificates ? { certificates: options.webhookCertificates } : {}),
  };
  const result: GeneratedManifests = { crds: withConversions(crdsOf(configs), webhookSpecs, webhookOptions), rbac, webhooks: [] };
  if (webhookSpecs.length > 0) {
    // Objects of the namespaces the operators watch only (all when unscoped).
    const watched = [...new Set([...(options.watchNamespace ? [options.watchNamespace] : []), ...(options.watchNamespaces ?? [])])];
    const annotations = caInjectionAnnotations(webhookOptions);
    result.webhooks = [
      ...webhookDeploymentObjects(webhookOptions),
      ...webhookConfigurationsFor(webhookSpecs, {
        name,
        endpoint: serviceEndpoint(webhookOptions),
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ...(watched.length > 0
          ? { namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: watched }] } }
          : {}),
      }),
    ];
  }
  if (!["default", "kube-system"].includes(installNamespace)) {
    result.namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: installNamespace } };
    if (options.platform && (options.platform.policies ?? true)) {
      result.namespace.metadata!.labels = { ...RESTRICTED_POD_SECURITY_LABELS };
    }
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
      ...(webhookSpecs.length > 0 ? { webhook: { port: options.webhookPort ?? 9443, secretName: webhookNames(name).secret } } : {}),
    });
    if (options.platform) {
      const ref = {
        name,
        namespace: installNamespace,
        healthPort: options.deployment.healthPort ?? 8080,
        replicas: options.deployment.replicas ?? 1,
      };
      // The webhook server's port is let in by the NetworkPolicy too.
      const webhookPorts = webhookSpecs.length > 0 ? [options.webhookPort ?? 9443] : [];
      const platform = { ...options.platform, extraIngressPorts: [...webhookPorts, ...(options.platform.extraIngressPorts ?? [])] };
      const { workload, monitoring } = platformObjectsFor(ref, platform);
      result.workload = workload;
      result.monitoring = monitoring;
    }
  }
  return result;
}

/** Every generated object in apply order: namespace, CRDs, RBAC, Deployment, webhooks, what surrounds the Deployment, monitoring. */
export function allObjects(manifests: GeneratedManifests): KubeObject[] {
  return [
    ...(manifests.namespace ? [manifests.namespace] : []),
    ...manifests.crds,
    ...manifests.rbac,
    ...(manifests.deployment ? [manifests.deployment] : []),
    ...(manifests.webhooks ?? []),
    ...(manifests.workload ?? []),
    ...(manifests.monitoring ?? []),
  ];
}

/** CRDs of converted kinds get the conversion stanza (to the Service) and the CA injection annotation. */
function withConversions(crds: KubeObject[], specs: readonly WebhookSpec[], options: Parameters<typeof serviceEndpoint>[0]): KubeObject[] {
  const conversions = conversionsByCrd(specs);
  const annotations = caInjectionAnnotations(options);
  return crds.map((crd) => {
    const conversion = conversions.get(crd.metadata?.name ?? "");
    if (!conversion) return crd;
    return {
      ...crd,
      metadata: { ...crd.metadata, annotations: { ...crd.metadata?.annotations, ...annotations } },
      spec: { ...(crd.spec as object), conversion: conversionStanzaFor(serviceEndpoint(options), conversion) },
    };
  });
}

/** A multi-document YAML stream (`---` between objects), as kubectl reads it. */
export function toYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}
