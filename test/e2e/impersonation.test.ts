/**
 * The kubeconfig's impersonated user (`as`) reaches the API server with every request
 * (roperator parsed it and never sent it).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import { LocalControlPlane } from "../../src/testing/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { isForbidden, type ApiError } from "../../src/kube/errors.js";
import type { ResourceType } from "../../src/core/kube-object.js";

const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
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
