/** `unauthorizedIn` (src/controller/credentials-refused.ts): which sync failures are a refusal of the credentials. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { unauthorizedIn } from "../../../src/controller/credentials-refused.js";
import { ApiError } from "../../../src/kube/errors.js";

const api = (statusCode: number) => new ApiError({ statusCode, method: "PATCH", path: "/api/v1/namespaces/a/configmaps/b" });

describe("unauthorizedIn", () => {
  it("finds a 401, alone or among a child pass's failures", () => {
    assert.ok(unauthorizedIn(api(401)));
    assert.ok(unauthorizedIn({ failures: [{ error: api(409) }, { error: api(401) }] }));
  });
  it("a 403 (RBAC), a 500 or a handler's own error is not a refusal of the credentials", () => {
    assert.equal(unauthorizedIn(api(403)), undefined);
    assert.equal(unauthorizedIn(api(500)), undefined);
    assert.equal(unauthorizedIn(new Error("db down")), undefined);
    assert.equal(unauthorizedIn(undefined), undefined);
  });
});
