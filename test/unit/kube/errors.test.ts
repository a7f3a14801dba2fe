import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError,
  apiErrorFromResponse,
  apiErrorFromStatus,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isNotFound,
  isTooManyRequests,
  parseRetryAfter,
} from "../../../src/kube/errors.js";

function status(code: number, reason: string, message: string, details?: object) {
  return { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, ...(details ? { details } : {}) };
}

describe("Status -> ApiError", () => {
  it("carries status code, reason, body and a message naming method, path and the server's words", () => {
    const body = status(404, "NotFound", 'configmaps "a" not found', { name: "a", kind: "configmaps" });
    const err = apiErrorFromResponse({ statusCode: 404, method: "GET", path: "/api/v1/namespaces/n/configmaps/a", body });
    assert.ok(err instanceof ApiError);
    assert.equal(err.statusCode, 404);
    assert.equal(err.reason, "NotFound");
    assert.equal(err.body, body);
    assert.equal(err.message, 'GET /api/v1/namespaces/n/configmaps/a failed with 404 NotFound: configmaps "a" not found');
    assert.ok(isNotFound(err));
  });

  it("a 404 without a Status (the type is not served, e.g. its CRD deleted) says so", () => {
    const err = apiErrorFromResponse({ statusCode: 404, method: "GET", path: "/apis/x.dev/v1/eggs", body: "404 page not found\n" });
    assert.equal(
      err.message,
      "GET /apis/x.dev/v1/eggs failed with 404 NotFound: 404 page not found (the API server does not serve this resource type: is its CRD installed?)",
    );
    assert.ok(isNotFound(err));
  });

  it("tells AlreadyExists from Conflict", () => {
    const exists = apiErrorFromResponse({ statusCode: 409, method: "POST", path: "/p", body: status(409, "AlreadyExists", "exists") });
    const conflict = apiErrorFromResponse({
      statusCode: 409,
      method: "PUT",
      path: "/p",
      body: status(409, "Conflict", "the object has been modified"),
    });
    assert.ok(isAlreadyExists(exists) && !isConflict(exists));
    assert.ok(isConflict(conflict) && !isAlreadyExists(conflict));
  });

  it("maps 410, 429, 403 to their predicates, and plain errors to none", () => {
    assert.ok(isGone(apiErrorFromResponse({ statusCode: 410, method: "GET", path: "/p", body: status(410, "Expired", "too old") })));
    assert.ok(isTooManyRequests(apiErrorFromResponse({ statusCode: 429, method: "GET", path: "/p", body: undefined })));
    assert.ok(isForbidden(apiErrorFromResponse({ statusCode: 403, method: "GET", path: "/p", body: status(403, "Forbidden", "nope") })));
    for (const predicate of [isNotFound, isAlreadyExists, isConflict, isGone, isTooManyRequests, isForbidden]) {
      assert.equal(predicate(new Error("x")), false);
      assert.equal(predicate(undefined), false);
    }
  });

  it("uses a default reason and the text of a body that is not a Status", () => {
    const err = apiErrorFromResponse({ statusCode: 503, method: "GET", path: "/p", body: "upstream unavailable\n" });
    assert.equal(err.reason, "ServiceUnavailable");
    assert.match(err.message, /503 ServiceUnavailable: upstream unavailable$/);
  });

  it("takes retryAfterSeconds from the header first, then from the Status details", () => {
    const body = status(429, "TooManyRequests", "slow down", { retryAfterSeconds: 3 });
    assert.equal(apiErrorFromResponse({ statusCode: 429, method: "GET", path: "/p", body, retryAfterHeader: "7" }).retryAfterSeconds, 7);
    assert.equal(apiErrorFromResponse({ statusCode: 429, method: "GET", path: "/p", body }).retryAfterSeconds, 3);
    assert.equal(apiErrorFromResponse({ statusCode: 500, method: "GET", path: "/p", body: undefined }).retryAfterSeconds, undefined);
  });

  it("turns a watch ERROR Status into a Gone error", () => {
    const err = apiErrorFromStatus(status(410, "Expired", "too old resource version: 1 (100)"), "GET", "/api/v1/configmaps?watch=1");
    assert.ok(isGone(err));
    assert.equal(err.reason, "Expired");
  });
});

describe("Retry-After parsing", () => {
  it("reads delay-seconds", () => {
    assert.equal(parseRetryAfter("1"), 1);
    assert.equal(parseRetryAfter(" 120 "), 120);
    assert.equal(parseRetryAfter(["2", "5"]), 2);
  });

  it("reads an HTTP-date relative to now and never goes negative", () => {
    const now = Date.parse("Wed, 25 Nov 2026 10:00:00 GMT");
    assert.equal(parseRetryAfter("Wed, 25 Nov 2026 10:00:10 GMT", now), 10);
    assert.equal(parseRetryAfter("Wed, 25 Nov 2026 09:59:00 GMT", now), 0);
  });

  it("ignores absent or unreadable values", () => {
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter(""), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRetryAfter("-3"), undefined);
  });
});
