/**
 * One AdmissionReview in, one out: parses the request the API server sent, runs the validator or
 * defaulter, and builds the response (allowed / denied with status code and message, warnings,
 * and for a defaulter the base64 JSON patch). A handler that throws is answered with a denial
 * (code 500) naming the webhook and the error, never with a broken response. No I/O.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { AdmissionContext, AdmissionRequest, CustomDefaulter, CustomValidator, ValidationOutcome } from "./admission.js";
import type { AdmissionWebhookSpec } from "./definitions.js";
import { jsonPatchOf, type JsonPatchOperation } from "./json-patch.js";

/** The `response` of an AdmissionReview. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
  patchType?: "JSONPatch";
  patch?: string;
}

/** The outcome of one review: the body to send and what to count. */
export interface AdmissionOutcome {
  /** The whole AdmissionReview to answer with (HTTP 200). */
  readonly review: { apiVersion: string; kind: "AdmissionReview"; response: AdmissionResponse };
  /** 200 allowed, 403 (or the handler's code) denied, 500 the handler failed. */
  readonly code: number;
  /** The handler's error, when it threw. */
  readonly error?: unknown;
  /** The patch a defaulter produced (also in the review, base64). */
  readonly patch?: JsonPatchOperation[];
}

/** A request body that is not an AdmissionReview: answered with HTTP 400. */
export class BadReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadReviewError";
  }
}

/** The request of an AdmissionReview body; throws `BadReviewError` when it is not one. */
export function admissionRequestOf(body: unknown): { apiVersion: string; request: AdmissionRequest } {
  const review = body as { apiVersion?: unknown; kind?: unknown; request?: Partial<AdmissionRequest> } | null;
  if (!review || typeof review !== "object" || review.kind !== "AdmissionReview") throw new BadReviewError("expected an AdmissionReview");
  const apiVersion = typeof review.apiVersion === "string" ? review.apiVersion : "admission.k8s.io/v1";
  const request = review.request;
  if (!request || typeof request.uid !== "string" || typeof request.operation !== "string") {
    throw new BadReviewError("AdmissionReview without request.uid and request.operation");
  }
  return { apiVersion, request: request as AdmissionRequest };
}

function contextOf(request: AdmissionRequest): AdmissionContext {
  return { request, operation: request.operation, user: request.userInfo ?? {}, dryRun: request.dryRun === true };
}

/** Runs a validator on one request. */
async function validate(validator: CustomValidator<KubeObject>, request: AdmissionRequest): Promise<ValidationOutcome> {
  const context = contextOf(request);
  const obj = request.object ?? undefined;
  const old = request.oldObject ?? undefined;
  switch (request.operation) {
    case "CREATE":
      return obj && validator.validateCreate ? validator.validateCreate(obj, context) : undefined;
    case "UPDATE":
      return obj && old && validator.validateUpdate ? validator.validateUpdate(obj, old, context) : undefined;
    case "DELETE":
      return old && validator.validateDelete ? validator.validateDelete(old, context) : undefined;
    default:
      return undefined;
  }
}

/** Answers one AdmissionReview body with the webhook's handler. Never throws except `BadReviewError`. */
export async function reviewAdmission(
  body: unknown,
  spec: AdmissionWebhookSpec,
  handler: CustomValidator<KubeObject> | CustomDefaulter<KubeObject>,
): Promise<AdmissionOutcome> {
  const { apiVersion, request } = admissionRequestOf(body);
  const answer = (
    response: Omit<AdmissionResponse, "uid">,
    code: number,
    extra: { error?: unknown; patch?: JsonPatchOperation[] } = {},
  ) => ({
    review: { apiVersion, kind: "AdmissionReview" as const, response: { uid: request.uid, ...response } },
    code,
    ...extra,
  });
  try {
    if (spec.kind === "mutating") {
      const original = request.object;
      if (!original) return answer({ allowed: true }, 200);
      const copy = structuredClone(original);
      const returned = await (handler as CustomDefaulter<KubeObject>).default(copy, contextOf(request));
      const patch = jsonPatchOf(original, JSON.parse(JSON.stringify(returned ?? copy)));
      if (patch.length === 0) return answer({ allowed: true }, 200, { patch });
      const encoded = Buffer.from(JSON.stringify(patch)).toString("base64");
      return answer({ allowed: true, patchType: "JSONPatch", patch: encoded }, 200, { patch });
    }
    const result = await validate(handler as CustomValidator<KubeObject>, request);
    const warnings = result?.warnings && result.warnings.length > 0 ? { warnings: [...result.warnings] } : {};
    if (!result || result.allowed) return answer({ allowed: true, ...warnings }, 200);
    const code = result.code ?? 403;
    return answer(
      { allowed: false, status: { code, message: result.message, reason: code === 422 ? "Invalid" : "Forbidden" }, ...warnings },
      code,
    );
  } catch (error) {
    const message = `${spec.name}: the webhook's handler failed: ${error instanceof Error ? error.message : String(error)}`;
    return answer({ allowed: false, status: { code: 500, message, reason: "InternalError" } }, 500, { error });
  }
}
