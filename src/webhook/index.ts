/**
 * Admission and conversion webhooks: validators and defaulters of any type, conversion of a custom
 * resource between its versions, and the HTTPS server that serves them (`RunOptions.webhooks`).
 */
export {
  allowed,
  denied,
  type AdmissionContext,
  type AdmissionOperation,
  type AdmissionRequest,
  type CustomDefaulter,
  type CustomValidator,
  type FailurePolicy,
  type ValidationOutcome,
  type ValidationResult,
} from "./admission.js";
export {
  CONVERSION_PATH,
  Defaulter,
  Validator,
  defineConversion,
  defineDefaulter,
  defineValidator,
  isWebhookInput,
  webhookSpecOf,
  webhookSpecsOf,
  type AdmissionWebhookOptions,
  type AdmissionWebhookSpec,
  type ConversionOptions,
  type ConversionWebhookSpec,
  type DefaulterFunction,
  type SpokeConversion,
  type ValidatorFunctions,
  type WebhookDefinition,
  type WebhookInput,
  type WebhookSpec,
} from "./definitions.js";
export { jsonPatchOf, type JsonPatchOperation } from "./json-patch.js";
export { reviewAdmission, type AdmissionOutcome, type AdmissionResponse } from "./admission-review.js";
export { reviewConversion, convertObject, type ConversionOutcome, type ConversionResponse } from "./conversion-review.js";
export { WebhookServer, DEFAULT_CERT_DIR, DEFAULT_WEBHOOK_PORT, type WebhookServerOptions } from "./webhook-server.js";
