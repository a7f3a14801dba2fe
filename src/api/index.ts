/**
 * The user-facing API (no I/O): what `src/index.ts` re-exports publicly, plus a few names the
 * runtime needs (marked "runtime" below) that need not be public.
 */
export { KubernetesType, type KubernetesTypeOptions } from "./kubernetes-type.js";
export {
  CustomResource,
  customResourceOf,
  type CustomResourceOptions,
  type CustomResourceVersion,
  type OpenApiSchema,
  type PrinterColumn,
} from "./custom-resource.js";
export { kubernetesTypeOf } from "../core/type-ref.js";
export { K8sType, type Constructor, type K8sTypeDetails, type K8sTypeLike } from "../core/k8s-type.js";
export { resolveTypeRef, type TypeRef } from "../core/type-ref.js";
export { UpdateStrategy, ChildConfig } from "../core/update-strategy.js";
export { OperatorConfig, OPERATOR_DEFAULTS, type ChildTypeConfig, type PolicyRule } from "./operator-config.js";
export { Operator, Sync, Finalize, isOperatorClass, type OperatorOptions, type ChildOptions } from "./decorators.js";
export {
  compileOperator,
  defineOperator,
  isOperatorDefinition,
  isOperatorInput,
  type CompiledOperator,
  type HandlerFactory,
  type OperatorDefinition,
  type OperatorInput,
} from "./compile.js";
export {
  normalizeHandler,
  withErrorHandler,
  type Handler,
  type HandlerLike,
  type SyncFunction,
  type ErrorFunction,
  type MaybePromise,
} from "./handler.js";
export { failable, type FailableHandler, type FailableOptions, type HandlerOutcome } from "./failable.js";
export { DEFAULT_BACKOFF, backoffConfig, fixedBackoff, nextDelay, type BackoffConfig } from "../core/backoff.js";
export { SyncResponse, FinalizeResponse, type DesiredChild, type ErrorResponse, type SyncFailure } from "./responses.js";
export { createSyncRequest, type SyncRequest, type SyncRequestInit } from "./sync-request.js";
export { ChildrenView, TypedView } from "./children-view.js";
export { validateDesiredChildren, type ChildValidationContext, type AllowedChildType } from "./validate-children.js";
export {
  OperatorDefinitionError,
  InvalidChildError,
  InvalidResponseError,
  HandlerTimeoutError,
  UnknownTypeError,
  type ChildProblem,
} from "../core/errors.js";
