/**
 * The kubeconfig's impersonated user (`as`) and groups (`as-groups`) reach the API server with
 * every request (roperator parsed `as` and never sent it; client-node drops `as-groups`).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { LocalControlPlane } from "../../src/testing/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { isForbidden, toApiError, ApiError } from "../../src/kube/errors.js";
import { loadKubeConfig } from "../../src/kube/kubeconfig.js";
import { configMaps } from "./support/core-types.js";

let cp: LocalControlPlane;
before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
});
after(async () => {
  await cp?.stop();
});

test("requests run as the impersonated user: an admin token impersonating 'nobody' is refused", async () => {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(cp.kubeConfig.getCurrentCluster()!, { ...cp.kubeConfig.getCurrentUser()!, impersonateUser: "nobody" });
  const client = KubeClient.fromKubeConfig(kc);
  try {
    const error = await client.list(configMaps, { namespace: "default" }).then(
      () => undefined,
      (e: unknown) => e as ApiError,
    );
    assert.ok(error && isForbidden(error), `expected 403, got ${error?.message ?? "success"}`);
    assert.match(error.message, /User "nobody" cannot list resource "configmaps"/);
    // The same token without impersonation is an admin.
    const admin = KubeClient.fromKubeConfig(cp.kubeConfig);
    try {
      assert.ok(Array.isArray((await admin.list(configMaps, { namespace: "default" })).items));
    } finally {
      await admin.close();
    }
  } finally {
    await client.close();
  }
});

test("the kubeconfig's as-groups are sent: 'nobody' in group system:masters may list", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tsoperator-impersonation-"));
  const kubeconfig = (user: string[]) => {
    const path = join(dir, `kubeconfig-${user.length}`);
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: local",
        "  cluster:",
        `    server: ${cp.server}`,
        `    certificate-authority-data: ${Buffer.from(cp.caCert).toString("base64")}`,
        "users:",
        "- name: admin",
        "  user:",
        `    token: ${cp.adminToken}`,
        ...user.map((line) => `    ${line}`),
        "contexts:",
        "- name: local",
        "  context: { cluster: local, user: admin }",
        "current-context: local",
        "",
      ].join("\n"),
    );
    return path;
  };
  const withGroup = KubeClient.fromKubeConfig(loadKubeConfig({ path: kubeconfig(["as: nobody", "as-groups: ['system:masters']"]) }));
  const withoutGroup = KubeClient.fromKubeConfig(loadKubeConfig({ path: kubeconfig(["as: nobody"]) }));
  try {
    const refused = await withoutGroup.list(configMaps, { namespace: "default" }).then(
      () => undefined,
      (e: unknown) => e as ApiError,
    );
    assert.ok(refused && isForbidden(refused), "nobody alone may not list");
    const listed = await withGroup.list(configMaps, { namespace: "default" });
    assert.ok(Array.isArray(listed.items), "nobody in system:masters may list");
    // The server saw both: who am I, as the API server tells it.
    const review = (await withGroup.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    })) as { status: { userInfo: { username: string; groups?: string[] } } };
    assert.equal(review.status.userInfo.username, "nobody");
    assert.ok(review.status.userInfo.groups?.includes("system:masters"), JSON.stringify(review.status.userInfo));
  } finally {
    await withGroup.close();
    await withoutGroup.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a handler's own client-node call refused by RBAC reads like the runtime's errors through toApiError", async () => {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(cp.kubeConfig.getCurrentCluster()!, { ...cp.kubeConfig.getCurrentUser()!, impersonateUser: "nobody" });
  const raw = await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name: "default" })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.match(String((raw as Error)?.message), /HTTP-Code: 403/, "client-node's own text");
  const error = toApiError(raw);
  assert.ok(error instanceof ApiError && isForbidden(error), String(error));
  assert.match(error.message, /403 Forbidden: namespaces "default" is forbidden: User "nobody" cannot delete resource "namespaces"/);
  assert.doesNotMatch(error.message, /HTTP-Code|Unknown API Status Code/);
});
