/**
 * Whether a sync failed because the API server refused the operator's credentials (401): a
 * revoked or expired token. Open watches outlive a revocation (they were authenticated when they
 * started) and keep the caches fresh, so a sync's failed write may be the first sign of it; the
 * controller keeps the latest such refusal until a sync succeeds, and readiness shows it. Pure.
 */
import { toApiError } from "../kube/errors.js";

/** A 401 refusal the controller saw, kept until a sync succeeds. */
export interface CredentialsRefused {
  /** When the first refusal of this streak came. */
  since: Date;
  /** The last refused request's message. */
  message: string;
}

/** The 401 among a sync's failure (the error itself, or one of a child pass's failures), if any. */
export function unauthorizedIn(error: unknown): Error | undefined {
  const failures = (error as { failures?: Array<{ error?: unknown }> } | undefined)?.failures;
  for (const candidate of [error, ...(Array.isArray(failures) ? failures.map((f) => f?.error) : [])]) {
    const api = toApiError(candidate) as { statusCode?: unknown } | undefined;
    if (api instanceof Error && api.statusCode === 401) return api;
  }
  return undefined;
}
