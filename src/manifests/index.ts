/**
 * Manifest generation for `tsoperator manifests`: CRDs, least-privilege RBAC, the Deployment.
 * Pure functions over operator configs; the CLI does the file I/O.
 */
export {
  CustomResource,
  customResourceOf,
  type CustomResourceOptions,
  type OpenApiSchema,
  type PrinterColumn,
} from "../api/custom-resource.js";
export { crdFor, crdNameOf, openApiSchemaOf } from "./crd.js";
export { operatorRules, leaderElectionRules, roleWithBinding, CHILD_WRITE_VERBS, type PolicyRule, type RoleBindingTarget } from "./rbac.js";
export { deploymentFor, type DeploymentOptions } from "./deployment.js";
export {
  generateManifests,
  allObjects,
  toYaml,
  crdsOf,
  customTypesOf,
  defaultLeaseName,
  defaultAppName,
  type ManifestOptions,
  type GeneratedManifests,
  type OperatorManifestSource,
} from "./generate.js";
export {
  platformObjectsFor,
  metricsServiceFor,
  serviceMonitorFor,
  podDisruptionBudgetFor,
  networkPolicyFor,
  grafanaDashboard,
  grafanaDashboardConfigMapFor,
  DASHBOARD_METRICS,
  RESTRICTED_POD_SECURITY_LABELS,
  type PlatformOptions,
  type WorkloadRef,
} from "./platform.js";
export { plainFiles, kustomizeFiles, type ManifestFile } from "./layout.js";
export {
  dockerfileFor,
  dockerignore,
  buildStageCommands,
  buildStageScript,
  runtimeLayerPaths,
  type DockerfileOptions,
} from "./dockerfile.js";
export { guessPlural, pluralOf, isNamespaced, isBuiltin } from "./type-names.js";
