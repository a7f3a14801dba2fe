/**
 * tsoperator's own kubeconfig parsing, merging and precedence (src/kube/kubeconfig-file.ts), on
 * the fixture files in test/fixtures/kubeconfig. The rules are client-go's clientcmd and kube-rs's
 * `Kubeconfig::merge`: the first file to set a value or a name wins, relative paths are relative
 * to the file that holds them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { kubeconfigFiles, parseKubeconfig, readKubeconfigs, resolveContext } from "../../../src/kube/kubeconfig-file.js";
import { readFileSync } from "node:fs";

const dir = fileURLToPath(new URL("../../../../test/fixtures/kubeconfig/", import.meta.url));
const fixture = (name: string) => `${dir}${name}`;
const read = (file: string) => readFileSync(file, "utf8");

describe("kubeconfig files: which ones", () => {
  it("KUBECONFIG's list wins, empty entries ignored, ~/.kube/config not read then", () => {
    const files = kubeconfigFiles({ KUBECONFIG: ["", "/x/a", "", "/x/b"].join(delimiter), HOME: "/home/u" }, () => true);
    assert.deepEqual(files, ["/x/a", "/x/b"]);
  });

  it("without KUBECONFIG: ~/.kube/config when it exists, else none (the in-cluster account comes next)", () => {
    assert.deepEqual(
      kubeconfigFiles({ HOME: "/home/u" }, (p) => p === "/home/u/.kube/config"),
      ["/home/u/.kube/config"],
    );
    assert.deepEqual(
      kubeconfigFiles({ KUBECONFIG: "", HOME: "/home/u" }, () => false),
      [],
    );
    assert.deepEqual(
      kubeconfigFiles({}, () => true),
      [],
    );
  });
});

describe("kubeconfig files: parsing one", () => {
  it("resolves relative paths against the file's directory", () => {
    const config = parseKubeconfig(read(fixture("a.yaml")), fixture("a.yaml"));
    assert.equal(config.clusters.get("cluster-a")?.certificateAuthority, fixture("ca.crt"));
    const b = parseKubeconfig(read(fixture("b.yaml")), fixture("b.yaml"));
    assert.equal(b.users.get("blue-user")?.tokenFile, fixture("token.txt"));
    assert.equal(b.users.get("red-user")?.clientCertificate, fixture("b.crt"));
  });

  it("reads an exec plugin: a command with a path separator relative to the file, args, env, cluster info", () => {
    const config = parseKubeconfig(read(fixture("exec.yaml")), fixture("exec.yaml"));
    const exec = config.users.get("u")?.exec;
    assert.deepEqual(exec, {
      apiVersion: "client.authentication.k8s.io/v1",
      command: fixture("bin/plugin"),
      args: ["get-token", "--fixture"],
      env: [{ name: "FIXTURE_ENV", value: "from-kubeconfig" }],
      provideClusterInfo: true,
      interactiveMode: "Never",
    });
    assert.deepEqual(config.clusters.get("c")?.execExtension, { audience: "fixture" });
  });

  it("a bare exec command stays a name looked up in PATH", () => {
    const text = read(fixture("exec.yaml")).replace("./bin/plugin", "aws");
    assert.equal(parseKubeconfig(text, fixture("exec.yaml")).users.get("u")?.exec?.command, "aws");
  });

  it("reads basic auth, skip-verify, proxy, certificate data and impersonation", () => {
    const config = parseKubeconfig(read(fixture("basic.yaml")), fixture("basic.yaml"));
    const user = config.users.get("u")!;
    assert.equal(user.username, "alice");
    assert.equal(user.password, "s3cret");
    assert.equal(user.impersonate, "bob");
    assert.deepEqual(user.impersonateGroups, ["devs", "ops"]);
    assert.equal(user.impersonateUid, "42");
    assert.deepEqual(user.impersonateExtra, { scopes: ["read", "write"] });
    assert.equal(config.clusters.get("c")?.insecureSkipTlsVerify, true);
    assert.equal(config.clusters.get("c")?.proxyUrl, "http://proxy.example:3128");
  });

  it("an empty file is an empty config; a wrong type is an error naming the file and field", () => {
    assert.equal(parseKubeconfig("", "/x/empty").clusters.size, 0);
    assert.throws(
      () => parseKubeconfig("clusters:\n- name: c\n  cluster:\n    server: 42\n", "/x/bad"),
      /\/x\/bad: clusters\[c\]\.server must be a string/,
    );
  });
});

describe("kubeconfig files: merging (first wins, never changed)", () => {
  const merged = readKubeconfigs([fixture("a.yaml"), fixture("b.yaml")], read);

  it("keeps the first file's current-context", () => {
    assert.equal(merged.currentContext, "ctx-a");
    assert.equal(readKubeconfigs([fixture("b.yaml"), fixture("a.yaml")], read).currentContext, "ctx-b");
  });

  it("discards a later file's entry of a name whole, even its fields the first lacks", () => {
    assert.deepEqual(merged.users.get("red-user"), { token: "token-from-a" });
    assert.equal(merged.clusters.get("cluster-a")?.server, "https://a.example:6443");
    assert.equal(merged.contexts.get("ctx-a")?.user, "red-user");
  });

  it("adds the names only later files define", () => {
    assert.equal(merged.clusters.get("cluster-b")?.tlsServerName, "api.b.internal");
    assert.ok(merged.users.has("blue-user"));
    assert.ok(merged.contexts.has("ctx-b"));
  });

  it("resolves the current context to its cluster, user and namespace", () => {
    const context = resolveContext(merged);
    assert.equal(context.contextName, "ctx-a");
    assert.equal(context.cluster.server, "https://a.example:6443");
    assert.equal(context.user.token, "token-from-a");
    assert.equal(context.namespace, "ns-a");
    assert.equal(resolveContext(merged, "ctx-b").user.tokenFile, fixture("token.txt"));
  });

  it("says what is missing: no current-context, an unknown context, an unknown cluster", () => {
    assert.throws(() => resolveContext({ ...merged, currentContext: undefined }), /no current-context/);
    assert.throws(() => resolveContext(merged, "nope"), /context "nope" is not defined/);
    const broken = readKubeconfigs([fixture("a.yaml")], read);
    broken.clusters.clear();
    assert.throws(() => resolveContext(broken), /names cluster "cluster-a", which is not defined/);
  });

  it("a context whose user no file defines has no credentials (kubectl's behaviour)", () => {
    const config = readKubeconfigs([fixture("a.yaml")], read);
    config.users.clear();
    assert.deepEqual(resolveContext(config).user, {});
  });
});
