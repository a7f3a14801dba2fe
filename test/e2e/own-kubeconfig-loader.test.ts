/**
 * tsoperator's own kubeconfig loader (src/kube/cluster-config.ts) against a real API server:
 * - an exec plugin (client.authentication.k8s.io/v1): its token authenticates; a credential the
 *   server refuses (401) makes the client run the plugin again and retry once; a credential with
 *   an expiry is reused until it expires, then the plugin runs again;
 * - a `tokenFile` whose token changes: the next refresh sends the new identity;
 * - the in-cluster service account (environment + token and CA files), pointed at the local server;
 * - `runOperators` with no kubeConfig reads `KUBECONFIG` with the own loader (here: an exec
 *   plugin) and runs an operator to convergence. (TestKit, and so every e2e file, runs its
 *   operators with the own loader too: `LocalControlPlane.clusterConfigFor`.)
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runOperators } from "../../src/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { loadClusterConfig } from "../../src/kube/cluster-config.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { renderKubeconfig } from "../../src/testing/control-plane/credentials.js";
import { definedOperator } from "./fixtures/defined-operator.js";
import { E2E_API_VERSION, parentOf, testCrd } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

/** The identity the API server sees (any authenticated user may ask). */
async function whoAmI(client: KubeClient): Promise<string> {
  const review = (await client.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  })) as { status: { userInfo: { username: string } } };
  return review.status.userInfo.username;
}

describe("the own kubeconfig loader on a real API server", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let dir: string;
  const logs = new LogCapture("warn");

  before(async () => {
    cp = await LocalControlPlane.start({ users: [{ name: "alice" }] });
    dir = mkdtempSync(join(tmpdir(), "tsoperator-own-loader-"));
  });
  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A kubeconfig whose user is an exec plugin printing the tokens in `tokensFile` (one per line,
   * line n for run n, the last one repeated) with an optional lifetime; each run is logged.
   */
  function execKubeconfig(name: string, tokens: string[], lifetimeSeconds?: number): { path: string; runs: () => number } {
    const tokensFile = join(dir, `${name}.tokens`);
    const runsFile = join(dir, `${name}.runs`);
    writeFileSync(tokensFile, `${tokens.join("\n")}\n`);
    writeFileSync(runsFile, "");
    const plugin = join(dir, `${name}-plugin.sh`);
    const expiry =
      lifetimeSeconds === undefined ? "" : `,"expirationTimestamp":"'"$(date -u -d "+${lifetimeSeconds} seconds" +%Y-%m-%dT%H:%M:%SZ)"'"`;
    writeFileSync(
      plugin,
      [
        "#!/bin/sh",
        `echo run >> ${runsFile}`,
        `n=$(wc -l < ${runsFile})`,
        `total=$(wc -l < ${tokensFile})`,
        `[ "$n" -gt "$total" ] && n=$total`,
        `token=$(sed -n "\${n}p" ${tokensFile})`,
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'"$token"'"${expiry}}}'`,
      ].join("\n"),
    );
    chmodSync(plugin, 0o755);
    const path = join(dir, `${name}.kubeconfig`);
    const exec = [
      "    exec:",
      "      apiVersion: client.authentication.k8s.io/v1",
      `      command: ./${name}-plugin.sh`,
      "      interactiveMode: Never",
    ].join("\n");
    writeFileSync(path, renderKubeconfig(cp.server, cp.caCert, "unused").replace(/^\s+token: unused$/m, exec));
    return {
      path,
      runs: () =>
        readFileSync(runsFile, "utf8")
          .split("\n")
          .filter((l) => l !== "").length,
    };
  }

  it("an exec plugin's token authenticates; a 401 runs the plugin again and retries once", async () => {
    const { path, runs } = execKubeconfig("refused-first", ["not-a-valid-token", cp.adminToken]);
    const client = KubeClient.fromKubeConfig(loadClusterConfig({ path }));
    try {
      const before = client.stats();
      assert.equal(await whoAmI(client), "admin");
      assert.equal(runs(), 2, "the refused credential, then a new one");
      assert.equal(client.stats().requests - before.requests, 2, "one 401, one retry");
      await whoAmI(client);
      assert.equal(runs(), 2, "a credential without expiry is reused");
    } finally {
      await client.close();
    }
  });

  it("a credential with an expiry is reused until it expires, then the plugin runs again", async () => {
    // 5 s (4-5 s: the plugin's expiry is truncated to the second): the second call comes well before.
    const { path, runs } = execKubeconfig("expiring", [cp.adminToken], 5);
    // authCacheMs: how long the transport reuses a snapshot before asking the source again.
    const client = KubeClient.fromKubeConfig(loadClusterConfig({ path }), { authCacheMs: 50 });
    try {
      assert.equal(await whoAmI(client), "admin");
      await sleep(100);
      assert.equal(await whoAmI(client), "admin");
      assert.equal(runs(), 1, "still valid: not run again");
      await sleep(5_500);
      assert.equal(await whoAmI(client), "admin");
      assert.equal(runs(), 2, "expired: run again");
    } finally {
      await client.close();
    }
  });

  it("a tokenFile that changes: the next refresh sends the new identity", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, `${cp.adminToken}\n`);
    const path = join(dir, "token-file.kubeconfig");
    writeFileSync(path, renderKubeconfig(cp.server, cp.caCert, "unused").replace(/^(\s+)token: unused$/m, `$1tokenFile: ${tokenFile}`));
    const client = KubeClient.fromKubeConfig(loadClusterConfig({ path }), { authCacheMs: 50 });
    try {
      assert.equal(await whoAmI(client), "admin");
      writeFileSync(tokenFile, cp.tokenOf("alice"));
      await sleep(100);
      assert.equal(await whoAmI(client), "alice");
    } finally {
      await client.close();
    }
  });

  it("the in-cluster service account: host and port from the environment, its CA and token files", async () => {
    const account = join(dir, "serviceaccount");
    mkdirSync(account, { recursive: true });
    writeFileSync(join(account, "token"), cp.tokenOf("alice"));
    writeFileSync(join(account, "ca.crt"), cp.caCert);
    writeFileSync(join(account, "namespace"), "default");
    const server = new URL(cp.server);
    const env = { HOME: "/nonexistent", KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
    const client = KubeClient.fromKubeConfig(loadClusterConfig({ env, serviceAccountDir: account }));
    try {
      assert.equal(await whoAmI(client), "alice");
    } finally {
      await client.close();
    }
  });

  it("runOperators without a kubeConfig reads KUBECONFIG with the own loader and converges", async () => {
    const kit = await TestKit.start({
      controlPlane: cp,
      manifests: [testCrd("OwnLoader"), testCrd("OwnKit")],
      operators: [definedOperator("OwnKit")],
      logger: logs.logger,
    });
    const { path, runs } = execKubeconfig("runtime", [cp.adminToken]);
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = path;
    let runtime: Awaited<ReturnType<typeof runOperators>> | undefined;
    try {
      runtime = await runOperators([definedOperator("OwnLoader")], { handleSignals: false, healthPort: false, logger: logs.logger });
      assert.equal(runtime.clusterConfig.server.href, new URL(cp.server).href);
      await kit.createParent(parentOf("OwnLoader", "own"));
      await kit.eventuallyMatches("v1", "ConfigMap", "own-cm", { data: { operator: "def-ownloader" } });
      await kit.eventuallyMatches(E2E_API_VERSION, "OwnLoader", "own", { status: { seenBy: "def-ownloader", observedGeneration: 1 } });
      assert.ok(runs() >= 1, "the runtime authenticated through the exec plugin");
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      await runtime?.stop();
      await kit.close();
    }
  });
});
