/**
 * A kubeconfig user with `token-file` (how projected, rotating service-account tokens are given
 * to a process): the file is read again, so a rotated token is picked up; a 401 (the old token
 * was revoked) makes the client read the file once more and retry once. client-node reads
 * `token-file` once, when the kubeconfig is loaded.
 *
 * Bound tokens make this real: a TokenRequest bound to a Secret stops authenticating when the
 * Secret is deleted.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../src/kube/client.js";
import { ApiError } from "../../src/kube/errors.js";
import { loadKubeConfig } from "../../src/kube/kubeconfig.js";
import type { KubeObject } from "../../src/core/kube-object.js";
import { renderKubeconfig } from "../../src/testing/control-plane/credentials.js";
import { secrets, serviceAccounts } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

const plane = withControlPlane();
const dir = mkdtempSync(join(tmpdir(), "tsoperator-token-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A token of ServiceAccount `rotator` that is valid while Secret `name` exists. */
async function boundToken(name: string): Promise<string> {
  const secret = (await plane.client.create(secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "default" },
  })) as KubeObject;
  const answer = (await plane.client.request("POST", "/api/v1/namespaces/default/serviceaccounts/rotator/token", {
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: "v1", kind: "Secret", name, uid: secret.metadata!.uid } },
    },
  })) as { status: { token: string } };
  return answer.status.token;
}

/** The identity the API server sees (any authenticated user may ask). */
async function whoAmI(client: KubeClient): Promise<string> {
  const review = (await client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  })) as { status: { userInfo: { username: string } } };
  return review.status.userInfo.username;
}

test("a rotated token file keeps the client working; a 401 makes it read the file again, once", async () => {
  await plane.client.create(serviceAccounts, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "rotator", namespace: "default" },
  });
  const first = await boundToken("first");
  const second = await boundToken("second");
  const tokenPath = join(dir, "token");
  writeFileSync(tokenPath, first);
  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfigPath,
    renderKubeconfig(plane.cp.server, plane.cp.caCert, "unused").replace(/^(\s+)token: unused$/m, `$1token-file: ${tokenPath}`),
  );
  const client = KubeClient.fromKubeConfig(loadKubeConfig({ path: kubeconfigPath }));
  // A client that holds the first token for good: it tells when the server stops accepting it.
  const staticKc = new KubeConfig();
  staticKc.loadFromString(renderKubeconfig(plane.cp.server, plane.cp.caCert, first));
  const staticClient = KubeClient.fromKubeConfig(staticKc);
  try {
    assert.equal(await whoAmI(client), "system:serviceaccount:default:rotator");

    // Rotate: the file gets the second token, the first is revoked (its Secret deleted).
    writeFileSync(tokenPath, second);
    await plane.client.delete(secrets, "default", "first");
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await whoAmI(staticClient).then(
        () => 200,
        (e: unknown) => (e instanceof ApiError ? e.statusCode : -1),
      );
      if (status === 401) break;
      if (Date.now() > deadline) throw new Error(`the revoked token still answers ${status}`);
      await sleep(200);
    }

    const before = client.stats();
    assert.equal(await whoAmI(client), "system:serviceaccount:default:rotator", "the client keeps working with the rotated file");
    const after = client.stats();
    assert.equal(after.requests - before.requests, 2, "one 401, then one retry with the token read again");
    assert.equal(after.retries - before.retries, 1);
    // From now on the new token is used without a 401.
    const again = client.stats();
    await whoAmI(client);
    assert.equal(client.stats().requests - again.requests, 1);
  } finally {
    await client.close();
    await staticClient.close();
  }
});
