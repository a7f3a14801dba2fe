/**
 * tsoperator: Kubernetes operators in TypeScript.
 *
 * Declare a parent type and its children with `@Operator`, return the desired state from a
 * `@Sync` method, and `runOperators` makes the cluster match. See the README and docs/.
 *
 * @packageDocumentation
 */
import "reflect-metadata";

// Declaring operators
export { KubernetesType, type KubernetesTypeOptions } from "./api/kubernetes-type.js";
export { K8sType, type Constructor, type K8sTypeDetails, type K8sTypeLike } from "./core/k8s-type.js";
export type { TypeRef } from "./core/type-ref.js";
export { UpdateStrategy, ChildConfig } from "./core/update-strategy.js";
export { OperatorConfig, OPERATOR_DEFAULTS, type ChildTypeConfig, type PolicyRule } from "./api/operator-config.js";
export { Operator, Sync, Finalize, type OperatorOptions, type ChildOptions } from "./api/decorators.js";
export {
  index,
  type IndexDefinition,
  type IndexKeys,
  type ObjectRef,
  type RelatedCacheOptions,
  type RelatedName,
  type RelatedOptions,
  type RelatedTypeConfig,
} from "./api/related.js";
export type { LabelSelector, LabelSelectorRequirement } from "./core/label-selector.js";
export { compileOperator, defineOperator, type CompiledOperator, type OperatorDefinition, type OperatorInput } from "./api/compile.js";
export {
  withErrorHandler,
  type Handler,
  type HandlerLike,
  type SyncFunction,
  type ErrorFunction,
  type MaybePromise,
} from "./api/handler.js";
export { failable, type FailableHandler, type FailableOptions, type HandlerOutcome } from "./api/failable.js";
export { DEFAULT_BACKOFF, backoffConfig, fixedBackoff, nextDelay, type BackoffConfig } from "./core/backoff.js";

// CRD generation (`tsoperator manifests`)
export {
  CustomResource,
  type CustomResourceOptions,
  type CustomResourceVersion,
  type OpenApiSchema,
  type PrinterColumn,
} from "./api/custom-resource.js";

// What handlers receive and return
export { SyncResponse, FinalizeResponse, type DesiredChild, type ErrorResponse, type SyncFailure } from "./api/responses.js";
export { createSyncRequest, type SyncRequest, type SyncRequestInit } from "./api/sync-request.js";
export type { HandlerLogger, ParentEvents, SyncReason, SyncTrigger, SyncTriggerKind } from "./api/handler-context.js";
export { ChildrenView, TypedView } from "./api/children-view.js";
export { RelatedView } from "./api/related-view.js";

// Errors
export {
  OperatorDefinitionError,
  InvalidChildError,
  InvalidResponseError,
  HandlerTimeoutError,
  TerminalError,
  UnknownTypeError,
  type ChildProblem,
} from "./core/errors.js";
export { ApiError, toApiError, isForbidden, isNotFound, isConflict, isAlreadyExists, isGone, isTooManyRequests } from "./kube/errors.js";
export { KindNotServedError } from "./kube/discovery.js";
export { loadKubeConfig, type LoadKubeConfigOptions, type ImpersonationExtras } from "./kube/kubeconfig.js";
export { loadClusterConfig, type ClusterConfig, type LoadClusterConfigOptions } from "./kube/cluster-config.js";

// Types and wire objects
export { TypeRegistry, type RegisteredType } from "./registry/type-registry.js";
export { K8sTypes } from "./core/builtin-types.js";
export type { KubeObject, ObjectMeta, OwnerReference, ResourceType } from "./core/kube-object.js";

// Running
export { runOperators } from "./runner/run-operators.js";
export { OperatorRuntime, type RuntimeState, type OperatorState, type OperatorInspection } from "./runner/operator-runtime.js";
export { RUNNABLE_GROUPS, type Runnable, type RunnableGroup, type RunnableReadiness } from "./manager/runnable.js";
export { CacheSyncTimeoutError } from "./manager/runnables.js";
export { DEFAULT_HEALTH_PORT, type RunOptions, type LeaderElectionOptions } from "./runner/run-options.js";
export { OperatorEvents } from "./manager/operator-events.js";
export type { EventType } from "./manager/event-recorder.js";
export { TSOPERATOR_LOGGER } from "./di/tokens.js";
export type { RateLimitOptions } from "./kube/rate-limiter.js";
export { tsyringeResolver, type InstanceResolver, type TsyringeResolver } from "./di/resolver.js";
export { MANAGED_BY_LABEL, OPERATOR_LABEL, TRACKING_LABEL } from "./controller/ownership.js";
export type { Condition } from "./controller/sync-condition.js";

// Observability
export { createLogger, type Logger, type LoggerOptions, type LogFormat, type LogLevel } from "./observability/logger.js";
export { Metrics, type MetricsOptions } from "./observability/metrics.js";

// Webhooks
export {
  allowed,
  denied,
  Validator,
  Defaulter,
  defineValidator,
  defineDefaulter,
  defineConversion,
  jsonPatchOf,
  WebhookServer,
  type AdmissionContext,
  type AdmissionOperation,
  type AdmissionRequest,
  type AdmissionWebhookOptions,
  type ConversionOptions,
  type CustomDefaulter,
  type CustomValidator,
  type DefaulterFunction,
  type FailurePolicy,
  type JsonPatchOperation,
  type SpokeConversion,
  type ValidationOutcome,
  type ValidationResult,
  type ValidatorFunctions,
  type WebhookDefinition,
  type WebhookInput,
  type WebhookServerOptions,
  type WebhookSpec,
} from "./webhook/index.js";
