/**
 * Errors of the kube client: an `ApiError` for every non-2xx answer of the API server, built from
 * the `Status` body the server sends, plus predicates the runtime uses to tell outcomes apart.
 */

/** The parts of a Kubernetes `Status` object that errors read. */
export interface StatusBody {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: unknown[] };
}

/** A non-2xx answer of the API server (or an `ERROR` watch event turned into an exception). */
export class ApiError extends Error {
  /** HTTP status code (or the `code` of the Status). */
  readonly statusCode: number;
  /** `reason` of the Status body, e.g. "NotFound", "AlreadyExists", "Conflict", "Expired". */
  readonly reason?: string;
  /** The parsed body (usually a Status object), or the raw text when it was not JSON. */
  readonly body?: unknown;
  /** Seconds to wait before retrying: the `Retry-After` header, else the Status' `details.retryAfterSeconds`. */
  readonly retryAfterSeconds?: number;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Path (with query) of the failed request. */
  readonly path: string;

  constructor(init: {
    statusCode: number;
    method: string;
    path: string;
    reason?: string;
    body?: unknown;
    retryAfterSeconds?: number;
    serverMessage?: string;
  }) {
    const what = init.reason ? `${init.statusCode} ${init.reason}` : `${init.statusCode}`;
    const detail = init.serverMessage ? `: ${init.serverMessage}` : "";
    // A request we did not send ourselves (toApiError) has no method and path to show.
    const request = init.method || init.path ? `${init.method} ${init.path}`.trim() : "API request";
    super(`${request} failed with ${what}${detail}`);
    this.name = "ApiError";
    this.statusCode = init.statusCode;
    this.method = init.method;
    this.path = init.path;
    if (init.reason !== undefined) this.reason = init.reason;
    if (init.body !== undefined) this.body = init.body;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns whole seconds (>= 0), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === null) return undefined;
  const text = raw.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10);
  // An HTTP-date always names a month ("Wed, 21 Oct 2015 07:28:00 GMT"); "-3" is no date.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Returns the body as a Status when it looks like one (a `kind: Status` object or one with `code`). */
export function asStatus(body: unknown): StatusBody | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const candidate = body as StatusBody;
  if (candidate.kind === "Status" || typeof candidate.code === "number") return candidate;
  return undefined;
}

/** Reason phrases for answers that carry no Status body (e.g. a proxy's 503). */
const defaultReasons: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Gone",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * Builds the `ApiError` for an answer: the reason and message come from the Status body when
 * there is one, the retry delay from the `Retry-After` header (or the Status details).
 */
export function apiErrorFromResponse(input: {
  statusCode: number;
  method: string;
  path: string;
  body: unknown;
  retryAfterHeader?: string | string[] | null;
}): ApiError {
  const status = asStatus(input.body);
  const retryAfter = parseRetryAfter(input.retryAfterHeader) ?? status?.details?.retryAfterSeconds;
  let serverMessage = status?.message;
  if (serverMessage === undefined && typeof input.body === "string" && input.body.trim() !== "") {
    serverMessage = input.body.trim().slice(0, 500);
  }
  // A missing object is a 404 with a Status; a missing resource type is the mux's plain "404 page
  // not found", which alone does not tell a user that the type (its CRD) is what is gone.
  if (input.statusCode === 404 && status === undefined) {
    serverMessage = `${serverMessage ?? "not found"} (the API server does not serve this resource type: is its CRD installed?)`;
  }
  return new ApiError({
    statusCode: input.statusCode,
    method: input.method,
    path: input.path,
    reason: status?.reason || defaultReasons[input.statusCode],
    body: input.body,
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    ...(serverMessage !== undefined ? { serverMessage } : {}),
  });
}

/** Turns the Status object of a watch `ERROR` event into an `ApiError` (code 410 -> isGone). */
export function apiErrorFromStatus(status: StatusBody, method: string, path: string): ApiError {
  return apiErrorFromResponse({ statusCode: status.code ?? 500, method, path, body: status });
}

function hasCode(err: unknown, code: number): boolean {
  return err instanceof ApiError && err.statusCode === code;
}

/** 404: the object (or the resource type) does not exist. */
export function isNotFound(err: unknown): boolean {
  return hasCode(err, 404);
}
/** 409 with reason AlreadyExists: a create found an object of that name. */
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409 && err.reason === "AlreadyExists";
}
/** 409 other than AlreadyExists: an update carried a stale resourceVersion (optimistic concurrency). */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.statusCode === 409 && err.reason !== "AlreadyExists";
}
/** 410: the resourceVersion or continue token is too old ("Expired" / "Gone"); relist. */
export function isGone(err: unknown): boolean {
  return hasCode(err, 410);
}
/** 429: the server (or API priority and fairness) asks the client to slow down. */
export function isTooManyRequests(err: unknown): boolean {
  return hasCode(err, 429);
}
/** 403: RBAC denies the request (or a namespace is terminating). */
export function isForbidden(err: unknown): boolean {
  return hasCode(err, 403);
}

/**
 * The runtime's `ApiError` for an error thrown by @kubernetes/client-node's typed APIs, whose
 * `ApiException` reads "HTTP-Code: 403 Message: Unknown API Status Code! Body: {…} Headers: {…}":
 * the code, the Status' reason and the server's own message, with the original as `cause`. Any
 * other value is returned as it is. The runtime applies it to what handlers throw; handlers may
 * call it themselves (`catch (e) { throw toApiError(e) }`) to test `isForbidden` and the like.
 */
export function toApiError(error: unknown): unknown {
  if (!isClientNodeApiException(error)) return error;
  let body: unknown = error.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text (a proxy's HTML page, say)
    }
  }
  const retryAfter = headerOf(error.headers, "retry-after");
  const converted = apiErrorFromResponse({ statusCode: error.code, method: "", path: "", body, retryAfterHeader: retryAfter ?? null });
  Object.defineProperty(converted, "cause", { value: error, configurable: true, writable: true, enumerable: false });
  return converted;
}

/**
 * client-node's `ApiException` (by shape: another copy of the package may have thrown it): an
 * Error with a numeric `code`, a `body` and the "HTTP-Code: " message.
 */
function isClientNodeApiException(error: unknown): error is Error & { code: number; body: unknown; headers?: Record<string, string> } {
  if (!(error instanceof Error) || error instanceof ApiError) return false;
  const candidate = error as { code?: unknown };
  return typeof candidate.code === "number" && "body" in error && error.message.startsWith("HTTP-Code: ");
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
