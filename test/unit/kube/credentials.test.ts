import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { CredentialCache, hasDynamicCredentials, poolKeyOf, readAuthSnapshot, serverUrlOf } from "../../../src/kube/credentials.js";

function kubeConfig(cluster: Record<string, unknown>, user: Record<string, unknown>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443/prefix", skipTLSVerify: false, ...cluster }],
    users: [{ name: "u", ...user }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("credentials from a KubeConfig", () => {
  it("reads the server URL and keys pools by (cluster, user)", () => {
    const kc = kubeConfig({}, { token: "t" });
    assert.equal(serverUrlOf(kc).href, "https://127.0.0.1:6443/prefix");
    assert.equal(poolKeyOf(kc), '["c","u"]');
    const empty = new KubeConfig();
    assert.throws(() => serverUrlOf(empty), /no current cluster/);
  });

  it("turns a bearer token into an Authorization header and the CA into TLS options", async () => {
    const kc = kubeConfig({ caData: b64("CA PEM"), tlsServerName: "kubernetes.default" }, { token: "abc", impersonateUser: "alice" });
    const snapshot = await readAuthSnapshot(kc);
    assert.equal(snapshot.headers.Authorization, "Bearer abc");
    assert.equal(snapshot.headers["Impersonate-User"], "alice");
    assert.equal(String(snapshot.tls.ca), "CA PEM");
    assert.equal(snapshot.tls.servername, "kubernetes.default");
    assert.equal(snapshot.tls.rejectUnauthorized, undefined);
    assert.equal(hasDynamicCredentials(kc), false);
  });

  it("turns basic auth into a Basic header, client certificates and skip-verify into TLS options", async () => {
    const kc = kubeConfig({ skipTLSVerify: true }, { username: "bob", password: "s3cret", certData: b64("CERT"), keyData: b64("KEY") });
    const snapshot = await readAuthSnapshot(kc);
    assert.equal(snapshot.headers.Authorization, `Basic ${b64("bob:s3cret")}`);
    assert.equal(String(snapshot.tls.cert), "CERT");
    assert.equal(String(snapshot.tls.key), "KEY");
    assert.equal(snapshot.tls.rejectUnauthorized, false);
  });

  it("runs exec plugins, caches their answer, and runs them again after invalidate (a 401)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-cred-"));
    const tokenFile = join(dir, "token");
    const plugin = join(dir, "plugin.mjs");
    writeFileSync(tokenFile, "first");
    writeFileSync(
      plugin,
      `import { readFileSync } from "node:fs";
       process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential",
         status: { token: readFileSync(${JSON.stringify(tokenFile)}, "utf8") } }));`,
    );
    const kc = kubeConfig(
      {},
      { exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: [plugin], interactiveMode: "Never" } },
    );
    assert.equal(hasDynamicCredentials(kc), true);
    const cache = new CredentialCache(kc, 60_000);
    assert.equal((await cache.current()).headers.Authorization, "Bearer first");
    writeFileSync(tokenFile, "second");
    assert.equal((await cache.current()).headers.Authorization, "Bearer first", "cached within the TTL");
    cache.invalidate();
    assert.equal((await cache.current()).headers.Authorization, "Bearer second", "re-run after invalidate");
  });

  it("re-reads a rotated service-account token file after invalidate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kube-cred-"));
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "sa-1");
    const kc = kubeConfig({}, { authProvider: { name: "tokenFile", config: { tokenFile } } });
    const cache = new CredentialCache(kc, 60_000);
    assert.equal((await cache.current()).headers.Authorization, "Bearer sa-1");
    writeFileSync(tokenFile, "sa-2");
    cache.invalidate();
    assert.equal((await cache.current()).headers.Authorization, "Bearer sa-2");
  });
});
