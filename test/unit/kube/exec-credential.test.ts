/**
 * Exec credential plugins (src/kube/exec-credential.ts): the ExecCredential a plugin prints, and
 * the cache client-go keeps (reused until expirationTimestamp; without one until a 401; one run
 * for concurrent callers). The plugin runner and the clock are injected: no process is started.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ExecCredentialSource,
  execInfo,
  isCredentialFresh,
  parseExecCredential,
  type ExecRunner,
} from "../../../src/kube/exec-credential.js";
import type { KubeconfigExec } from "../../../src/kube/kubeconfig-file.js";

const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";
const exec: KubeconfigExec = {
  apiVersion: V1,
  command: "plugin",
  args: ["a"],
  env: [{ name: "E", value: "v" }],
  provideClusterInfo: false,
};
const cluster = { server: "https://k.example" };

function credential(status: Record<string, unknown>, apiVersion = V1): string {
  return JSON.stringify({ apiVersion, kind: "ExecCredential", status });
}

/** A runner that answers from a list and counts its runs. */
function scripted(outputs: string[]): ExecRunner & { runs: number; envs: NodeJS.ProcessEnv[] } {
  const runner = (async (_command: string, _args: string[], env: NodeJS.ProcessEnv) => {
    runner.runs++;
    runner.envs.push(env);
    const out = outputs[Math.min(runner.runs - 1, outputs.length - 1)];
    if (out === undefined) throw new Error("no output");
    return out;
  }) as ExecRunner & { runs: number; envs: NodeJS.ProcessEnv[] };
  runner.runs = 0;
  runner.envs = [];
  return runner;
}

describe("ExecCredential output", () => {
  it("reads a token, a client certificate and the expiry (v1 and v1beta1)", () => {
    assert.deepEqual(parseExecCredential(credential({ token: "t" }), V1), { token: "t" });
    const withCert = parseExecCredential(
      credential({ clientCertificateData: "CERT", clientKeyData: "KEY", expirationTimestamp: "2030-01-01T00:00:00Z" }, V1BETA1),
      V1BETA1,
    );
    assert.deepEqual(withCert, {
      clientCertificateData: "CERT",
      clientKeyData: "KEY",
      expirationTimestamp: new Date("2030-01-01T00:00:00Z"),
    });
  });

  it("refuses output that is not JSON, another kind or apiVersion, or has no credential", () => {
    assert.throws(() => parseExecCredential("oops", V1), /not JSON/);
    assert.throws(() => parseExecCredential(JSON.stringify({ apiVersion: V1, kind: "Pod", status: { token: "t" } }), V1), /kind/);
    assert.throws(() => parseExecCredential(credential({ token: "t" }, V1BETA1), V1), /does not match/);
    assert.throws(() => parseExecCredential(credential({}), V1), /neither a token nor a client certificate/);
    assert.throws(() => parseExecCredential(credential({ clientCertificateData: "C" }), V1), /come together/);
    assert.throws(() => parseExecCredential(credential({ token: "t", expirationTimestamp: "soon" }), V1), /invalid expirationTimestamp/);
  });

  it("is fresh strictly before its expiry, and without one until forgotten", () => {
    const at = new Date(10_000);
    assert.equal(isCredentialFresh({ token: "t", expirationTimestamp: at }, 9_999), true);
    assert.equal(isCredentialFresh({ token: "t", expirationTimestamp: at }, 10_000), false);
    assert.equal(isCredentialFresh({ token: "t" }, Number.MAX_SAFE_INTEGER), true);
    assert.equal(isCredentialFresh(undefined, 0), false);
  });

  it("KUBERNETES_EXEC_INFO: not interactive; the cluster only with provideClusterInfo", () => {
    assert.deepEqual(JSON.parse(execInfo(exec, cluster)), { apiVersion: V1, kind: "ExecCredential", spec: { interactive: false } });
    const info = JSON.parse(
      execInfo({ ...exec, provideClusterInfo: true }, { ...cluster, tlsServerName: "api", execExtension: { audience: "x" } }, "Q0E="),
    );
    assert.deepEqual(info.spec.cluster, {
      server: "https://k.example",
      "tls-server-name": "api",
      "certificate-authority-data": "Q0E=",
      config: { audience: "x" },
    });
  });
});

describe("ExecCredentialSource: client-go's cache", () => {
  it("reuses a credential until its expiry, then runs the plugin again", async () => {
    let now = 0;
    const runner = scripted([
      credential({ token: "first", expirationTimestamp: new Date(60_000).toISOString() }),
      credential({ token: "second", expirationTimestamp: new Date(120_000).toISOString() }),
    ]);
    const source = new ExecCredentialSource(exec, cluster, undefined, runner, () => now);
    assert.equal((await source.current()).token, "first");
    now = 59_999;
    assert.equal((await source.current()).token, "first");
    assert.equal(runner.runs, 1);
    now = 60_000;
    assert.equal((await source.current()).token, "second");
    assert.equal(runner.runs, 2);
  });

  it("without an expiry: reused however long, re-run only after forget() (a 401)", async () => {
    let now = 0;
    const runner = scripted([credential({ token: "one" }), credential({ token: "two" })]);
    const source = new ExecCredentialSource(exec, cluster, undefined, runner, () => now);
    await source.current();
    now = 365 * 24 * 3600_000;
    assert.equal((await source.current()).token, "one");
    source.forget();
    assert.equal((await source.current()).token, "two");
    assert.equal(runner.runs, 2);
  });

  it("concurrent callers share one run", async () => {
    const runner = scripted([credential({ token: "shared" })]);
    const source = new ExecCredentialSource(exec, cluster, undefined, runner);
    const tokens = await Promise.all([source.current(), source.current(), source.current()]);
    assert.deepEqual(
      tokens.map((t) => t.token),
      ["shared", "shared", "shared"],
    );
    assert.equal(runner.runs, 1);
  });

  it("passes the kubeconfig's env and KUBERNETES_EXEC_INFO to the plugin", async () => {
    const runner = scripted([credential({ token: "t" })]);
    await new ExecCredentialSource(exec, cluster, undefined, runner).current();
    assert.equal(runner.envs[0]?.E, "v");
    assert.equal(JSON.parse(runner.envs[0]?.KUBERNETES_EXEC_INFO ?? "{}").kind, "ExecCredential");
  });

  it("a failed run is not cached; the install hint is in the error", async () => {
    const runner = scripted([]);
    const source = new ExecCredentialSource({ ...exec, installHint: "install the plugin" }, cluster, undefined, runner);
    await assert.rejects(source.current(), /no output\ninstall the plugin/);
    await assert.rejects(source.current(), /no output/);
    assert.equal(runner.runs, 2);
  });

  it("refuses interactiveMode Always (an operator has no terminal) and unknown apiVersions", async () => {
    const runner = scripted([credential({ token: "t" })]);
    await assert.rejects(
      new ExecCredentialSource({ ...exec, interactiveMode: "Always" }, cluster, undefined, runner).current(),
      /terminal/,
    );
    assert.throws(
      () => new ExecCredentialSource({ ...exec, apiVersion: "client.authentication.k8s.io/v1alpha1" }, cluster),
      /not supported/,
    );
  });
});
