import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiException } from "@kubernetes/client-node";
import { ApiError, isForbidden, isNotFound, toApiError } from "../../../src/kube/errors.js";
import { failable, withErrorHandler, createSyncRequest, SyncResponse } from "../../../src/api/index.js";
import { TypeRegistry } from "../../../src/registry/index.js";

const forbiddenStatus = {
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message: 'namespaces "tmp-1" is forbidden: User "system:serviceaccount:ops:temp" cannot delete resource "namespaces"',
  reason: "Forbidden",
  details: { name: "tmp-1", kind: "namespaces" },
  code: 403,
};
/** What client-node 2.0.1's typed APIs throw for a status they have no model for. */
const rawForbidden = () =>
  new ApiException(403, "Unknown API Status Code!", JSON.stringify(forbiddenStatus), { "content-type": "application/json" });

describe("client-node's ApiException as the runtime's ApiError", () => {
  it("keeps the code, reason and the server's message (not 'HTTP-Code: 403 Message: Unknown API Status Code!')", () => {
    assert.match(rawForbidden().message, /^HTTP-Code: 403/);
    const error = toApiError(rawForbidden());
    assert.ok(error instanceof ApiError);
    assert.equal(error.statusCode, 403);
    assert.equal(error.reason, "Forbidden");
    assert.ok(isForbidden(error));
    assert.match(error.message, /403 Forbidden: namespaces "tmp-1" is forbidden: User "system:serviceaccount:ops:temp" cannot delete/);
    assert.doesNotMatch(error.message, /HTTP-Code|Unknown API Status Code|Headers/);
    assert.equal(error.cause instanceof ApiException, true, "the original stays reachable");
  });

  it("reads a parsed body too, a body that is no Status, and leaves other errors alone", () => {
    const parsed = toApiError(
      new ApiException(404, "Unknown API Status Code!", { ...forbiddenStatus, code: 404, reason: "NotFound", message: "gone" }, {}),
    );
    assert.ok(isNotFound(parsed));
    const text = toApiError(new ApiException(502, "Bad Gateway", "<html>upstream</html>", {}));
    assert.ok(text instanceof ApiError && text.statusCode === 502 && /upstream/.test(text.message));
    const plain = new Error("boom");
    assert.equal(toApiError(plain), plain);
    assert.equal(toApiError("text"), "text");
  });

  it("failable and withErrorHandler hand the error handler a readable ApiError", async () => {
    const registry = new TypeRegistry();
    const req = createSyncRequest({
      parent: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p", namespace: "ns", uid: "u" } },
      children: [],
      registry,
    });
    let seen: unknown;
    const handler = failable({
      syncChildren: () => {
        throw rawForbidden();
      },
      determineStatus: (_req, outcome) => {
        if (!outcome.ok) seen = outcome.error;
        return {};
      },
    });
    const response = await handler.sync(req);
    assert.ok(seen instanceof ApiError, `failable saw ${String(seen)}`);
    assert.ok(SyncResponse.from(response).failure?.error instanceof ApiError);

    let seenByPair: unknown;
    const pair = withErrorHandler(
      () => Promise.reject(rawForbidden()),
      (_req, error) => {
        seenByPair = error;
        return {};
      },
    );
    await pair.sync(req);
    assert.ok(seenByPair instanceof ApiError, `withErrorHandler saw ${String(seenByPair)}`);
  });
});
