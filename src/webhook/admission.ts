/**
 * What an admission webhook handler sees and answers: the request (as the API server sent it,
 * wire JSON) and a validation result (allowed, or denied with a message, both with optional
 * warnings that `kubectl` prints). The interfaces a validator or defaulter class implements
 * (controller-runtime's `CustomValidator` / `CustomDefaulter`) live here too. No I/O.
 */
import type { KubeObject } from "../core/kube-object.js";

/** The operations an admission webhook can be registered for. */
export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/** `failurePolicy` of a webhook: what the API server does when the webhook cannot be reached or errs. */
export type FailurePolicy = "Fail" | "Ignore";

/** The `request` of an `admission.k8s.io/v1` AdmissionReview, as the API server sends it. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  requestKind?: { group: string; version: string; kind: string };
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  options?: unknown;
}

/** What a handler gets besides the object(s): the whole request (who, which operation, dry run). */
export interface AdmissionContext {
  readonly request: AdmissionRequest;
  readonly operation: AdmissionOperation;
  /** The user making the request. */
  readonly user: AdmissionRequest["userInfo"];
  /** true for `kubectl --dry-run=server`: a handler with side effects must not apply them. */
  readonly dryRun: boolean;
}

/** The answer of a validation: allowed (with warnings), or denied with a message. */
export type ValidationResult =
  | { readonly allowed: true; readonly warnings?: readonly string[] }
  | { readonly allowed: false; readonly message: string; readonly code?: number; readonly warnings?: readonly string[] };

/** Allows the request; `warnings` are shown by `kubectl` ("Warning: ...") and returned to clients. */
export function allowed(...warnings: string[]): ValidationResult {
  return warnings.length > 0 ? { allowed: true, warnings } : { allowed: true };
}

/**
 * Denies the request with `message` (the user sees it: `admission webhook "..." denied the request:
 * <message>`). `code` defaults to 403 (Forbidden); 422 (Invalid) suits a field-level problem.
 */
export function denied(message: string, options: { code?: number; warnings?: readonly string[] } = {}): ValidationResult {
  return {
    allowed: false,
    message,
    ...(options.code !== undefined ? { code: options.code } : {}),
    ...(options.warnings ? { warnings: options.warnings } : {}),
  };
}

/** What a validator method may return: a result, or nothing (allowed). */
export type ValidationOutcome = ValidationResult | undefined | void;

/**
 * A validator of one type (controller-runtime's `CustomValidator`). Each method is optional: the
 * webhook is registered for the operations that have one. Objects are wire JSON as the API server
 * sent them, in the version the webhook is registered for.
 */
export interface CustomValidator<T = KubeObject> {
  validateCreate?(obj: T, context: AdmissionContext): ValidationOutcome | Promise<ValidationOutcome>;
  validateUpdate?(obj: T, oldObj: T, context: AdmissionContext): ValidationOutcome | Promise<ValidationOutcome>;
  validateDelete?(oldObj: T, context: AdmissionContext): ValidationOutcome | Promise<ValidationOutcome>;
}

/**
 * A defaulter of one type (controller-runtime's `CustomDefaulter`). It gets a copy of the object and
 * returns the defaulted object (or changes the copy in place and returns nothing); the framework
 * computes the JSON patch, which touches only what changed.
 */
export interface CustomDefaulter<T = KubeObject> {
  default(obj: T, context: AdmissionContext): T | undefined | void | Promise<T | undefined | void>;
}
