/**
 * tsoperator's own loader (src/kube/cluster-config.ts): from fixture kubeconfigs and a fake
 * service-account directory to the headers and TLS material a request carries. The environment is
 * passed in (`env`), so nothing here reads the machine's own kubeconfig. Talking to a real API
 * server with it is proven in test/e2e/own-kubeconfig-loader.test.ts.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadClusterConfig } from "../../../src/kube/cluster-config.js";
import { NO_CLUSTER_CONFIGURED } from "../../../src/kube/kubeconfig.js";

const dir = fileURLToPath(new URL("../../../../test/fixtures/kubeconfig/", import.meta.url));
const fixture = (name: string) => `${dir}${name}`;
const nowhere = { HOME: "/nonexistent-home" };
const temp = mkdtempSync(join(tmpdir(), "tsoperator-cluster-config-"));
after(() => rmSync(temp, { recursive: true, force: true }));

describe("loadClusterConfig: kubeconfig files", () => {
  it("merged KUBECONFIG: the first file's context, token and CA file", async () => {
    const config = loadClusterConfig({ env: { ...nowhere, KUBECONFIG: [fixture("a.yaml"), fixture("b.yaml")].join(delimiter) } });
    assert.equal(config.server.href, "https://a.example:6443/");
    assert.equal(config.namespace, "ns-a");
    assert.equal(config.dynamic, false);
    assert.equal(config.poolKey, '["cluster-a","red-user"]');
    const auth = await config.readAuth();
    assert.equal(auth.headers.Authorization, "Bearer token-from-a");
    assert.equal(String(auth.tls.ca), readFileSync(fixture("ca.crt"), "utf8"));
  });

  it("tokenFile: trimmed, read again on each refresh (a rotated token is picked up)", async () => {
    const tokenFile = join(temp, "rotating-token");
    writeFileSync(tokenFile, "old-token\n");
    const file = join(temp, "b.yaml");
    writeFileSync(file, readFileSync(fixture("b.yaml"), "utf8").replace("tokenFile: token.txt", `tokenFile: ${tokenFile}`));
    const config = loadClusterConfig({ path: file, env: nowhere });
    assert.equal(config.dynamic, true);
    assert.equal(config.server.href, "https://b.example/prefix");
    const first = await config.readAuth();
    assert.equal(first.headers.Authorization, "Bearer old-token");
    assert.equal(first.tls.servername, "api.b.internal");
    assert.match(String(first.tls.ca), /fixture-ca-b/);
    writeFileSync(tokenFile, "new-token\n");
    assert.equal((await config.readAuth()).headers.Authorization, "Bearer new-token");
  });

  it("basic auth, skip-verify, proxy, client certificate data, impersonation headers", async () => {
    const config = loadClusterConfig({ path: fixture("basic.yaml"), env: nowhere });
    assert.equal(config.proxyUrl, "http://proxy.example:3128");
    const { headers, tls } = await config.readAuth();
    assert.equal(headers.Authorization, `Basic ${Buffer.from("alice:s3cret").toString("base64")}`);
    assert.equal(tls.rejectUnauthorized, false);
    assert.match(String(tls.cert), /BEGIN CERTIFICATE-----\nclient/);
    assert.match(String(tls.key), /BEGIN PRIVATE KEY-----\nkey/);
    assert.equal(headers["Impersonate-User"], "bob");
    assert.deepEqual(headers["Impersonate-Group"], ["devs", "ops"]);
    assert.equal(headers["Impersonate-Uid"], "42");
    assert.deepEqual(headers["Impersonate-Extra-scopes"], ["read", "write"]);
  });

  it("an exec plugin relative to the kubeconfig: its token, env and cluster info; run once while valid", async () => {
    const pluginDir = join(temp, "exec");
    const binDir = join(pluginDir, "bin");
    const runs = join(pluginDir, "runs.log");
    mkdirSync(binDir, { recursive: true });
    writeFileSync(
      join(binDir, "plugin"),
      [
        "#!/bin/sh",
        `echo "$FIXTURE_ENV $1 $KUBERNETES_EXEC_INFO" >> ${runs}`,
        `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}'`,
      ].join("\n"),
    );
    chmodSync(join(binDir, "plugin"), 0o755);
    copyFileSync(fixture("exec.yaml"), join(pluginDir, "kubeconfig"));
    copyFileSync(fixture("ca.crt"), join(pluginDir, "ca.crt"));
    const config = loadClusterConfig({ path: join(pluginDir, "kubeconfig"), env: nowhere });
    assert.equal(config.dynamic, true);
    assert.equal((await config.readAuth()).headers.Authorization, "Bearer exec-token");
    assert.equal((await config.readAuth()).headers.Authorization, "Bearer exec-token");
    const lines = readFileSync(runs, "utf8").trim().split("\n");
    assert.equal(lines.length, 1, "a credential without expiry is reused");
    const [envValue, arg, ...info] = lines[0]!.split(" ");
    assert.equal(envValue, "from-kubeconfig");
    assert.equal(arg, "get-token");
    const execInfo = JSON.parse(info.join(" "));
    assert.equal(execInfo.spec.interactive, false);
    assert.equal(execInfo.spec.cluster.server, "https://exec.example");
    assert.equal(
      Buffer.from(execInfo.spec.cluster["certificate-authority-data"], "base64").toString(),
      readFileSync(fixture("ca.crt"), "utf8"),
    );
    config.forget();
    await config.readAuth();
    assert.equal(readFileSync(runs, "utf8").trim().split("\n").length, 2, "forget() (after a 401) runs the plugin again");
  });

  it("an auth-provider user falls back to client-node's loader", () => {
    const config = loadClusterConfig({ path: fixture("auth-provider.yaml"), env: nowhere });
    const kc = config.toKubeConfig();
    assert.equal(kc.constructor.name, "KubeConfig");
    assert.equal(kc.getCurrentUser()?.authProvider?.name, "oidc");
    assert.equal(config.server.href, "https://oidc.example/");
    assert.equal(config.dynamic, true);
  });

  it("toKubeConfig(): the same configuration as a client-node KubeConfig, made once", () => {
    const config = loadClusterConfig({ path: fixture("a.yaml"), env: nowhere });
    const kc = config.toKubeConfig();
    assert.equal(kc.getCurrentCluster()?.server, "https://a.example:6443");
    assert.equal(kc.getCurrentUser()?.token, "token-from-a");
    assert.equal(config.toKubeConfig(), kc);
  });
});

describe("loadClusterConfig: in-cluster and precedence", () => {
  const account = join(temp, "serviceaccount");

  it("the service account: host and port from the environment, CA, namespace, the token file re-read", async () => {
    mkdirSync(account, { recursive: true });
    writeFileSync(join(account, "token"), "sa-token-1");
    writeFileSync(join(account, "ca.crt"), "-----BEGIN CERTIFICATE-----\nsa-ca\n-----END CERTIFICATE-----\n");
    writeFileSync(join(account, "namespace"), "operators\n");
    const env = { ...nowhere, KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    const config = loadClusterConfig({ env, serviceAccountDir: account });
    assert.equal(config.server.href, "https://10.0.0.1/");
    assert.equal(config.namespace, "operators");
    assert.equal(config.dynamic, true);
    assert.equal((await config.readAuth()).headers.Authorization, "Bearer sa-token-1");
    assert.match(String((await config.readAuth()).tls.ca), /sa-ca/);
    writeFileSync(join(account, "token"), "sa-token-2");
    assert.equal((await config.readAuth()).headers.Authorization, "Bearer sa-token-2");
    const v6 = loadClusterConfig({
      env: { ...env, KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" },
      serviceAccountDir: account,
    });
    assert.equal(v6.server.host, "[fd00::1]:6443");
  });

  it("a kubeconfig wins over the in-cluster account; nothing at all is a clear error", async () => {
    mkdirSync(account, { recursive: true });
    writeFileSync(join(account, "token"), "sa-token");
    const env = { ...nowhere, KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443", KUBECONFIG: fixture("a.yaml") };
    assert.equal(loadClusterConfig({ env, serviceAccountDir: account }).server.host, "a.example:6443");
    assert.throws(() => loadClusterConfig({ env: nowhere, serviceAccountDir: join(temp, "none") }), { message: NO_CLUSTER_CONFIGURED });
    assert.throws(
      () => loadClusterConfig({ env: { ...nowhere, KUBERNETES_SERVICE_HOST: "10.0.0.1" }, serviceAccountDir: account }),
      { message: NO_CLUSTER_CONFIGURED },
      "host without port is not in-cluster",
    );
  });
});
