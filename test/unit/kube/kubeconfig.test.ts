import "reflect-metadata";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig, V1ConfigMap, V1ObjectMeta } from "@kubernetes/client-node";
import { KubernetesType, Operator, Sync, SyncResponse } from "../../../src/api/index.js";
import { runOperators } from "../../../src/runner/run-operators.js";
import { KubeClient } from "../../../src/kube/client.js";
import { CredentialCache, readAuthSnapshot } from "../../../src/kube/credentials.js";
import { loadKubeConfig } from "../../../src/kube/kubeconfig.js";
import type { ResourceType } from "../../../src/core/kube-object.js";

@KubernetesType({ apiVersion: "kubeconfig.test.tsoperator.dev/v1", kind: "Thing", plural: "things", namespaced: true })
class Thing {
  metadata!: V1ObjectMeta;
}

@Operator({ name: "things", parent: Thing, children: [{ type: V1ConfigMap }] })
class ThingOperator {
  @Sync()
  sync(): SyncResponse {
    return SyncResponse.of({});
  }
}

const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const NOT_CONFIGURED = /no Kubernetes cluster configured: set KUBECONFIG/;

function kubeconfigFile(dir: string, user: string[]): string {
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: c",
      "  cluster:",
      "    server: https://127.0.0.1:6443",
      "users:",
      "- name: u",
      "  user:",
      ...user.map((line) => `    ${line}`),
      "contexts:",
      "- name: ctx",
      "  context: { cluster: c, user: u }",
      "current-context: ctx",
      "",
    ].join("\n"),
  );
  return path;
}

describe("with no kubeconfig at all, outside a cluster", () => {
  const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), "tsoperator-nohome-"));
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
  });
  after(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it("runOperators says how to configure a cluster (not client-node's 'HTTP protocol is not allowed')", async () => {
    await assert.rejects(runOperators([ThingOperator], { handleSignals: false }), NOT_CONFIGURED);
  });

  it("loadKubeConfig and a KubeClient made from client-node's loadFromDefault() say the same", async () => {
    assert.throws(() => loadKubeConfig(), NOT_CONFIGURED);
    const kc = new KubeConfig();
    kc.loadFromDefault(); // client-node falls back to http://localhost:8080
    await assert.rejects(async () => {
      const client = KubeClient.fromKubeConfig(kc);
      try {
        await client.list(configMaps, { namespace: "default" });
      } finally {
        await client.close();
      }
    }, NOT_CONFIGURED);
  });
});

describe("loadKubeConfig: what client-node's loader drops", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tsoperator-kubeconfig-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("token-file is read at request time and read again after a 401 (rotating service-account tokens)", async () => {
    const tokenPath = join(dir, "token");
    writeFileSync(tokenPath, "first-token");
    const kc = loadKubeConfig({ path: kubeconfigFile(dir, [`token-file: ${tokenPath}`]) });
    const credentials = new CredentialCache(kc);
    assert.equal(credentials.isDynamic, true, "a token file can change: a 401 is worth one retry");
    assert.equal((await credentials.current()).headers.Authorization, "Bearer first-token");
    writeFileSync(tokenPath, "second-token");
    credentials.invalidate(); // what the transport does on a 401
    assert.equal((await credentials.current()).headers.Authorization, "Bearer second-token");
  });

  it("as-groups become one Impersonate-Group header per group, with as-uid", async () => {
    const kc = loadKubeConfig({
      path: kubeconfigFile(dir, ["token: t", "as: alice", "as-uid: u-1", "as-groups: [devs, 'system:masters']"]),
    });
    const { headers } = await readAuthSnapshot(kc);
    assert.equal(headers["Impersonate-User"], "alice");
    assert.deepEqual(headers["Impersonate-Group"], ["devs", "system:masters"]);
    assert.equal(headers["Impersonate-Uid"], "u-1");
  });

  it("as-user-extra becomes Impersonate-Extra-<key> headers, one per value", async () => {
    const kc = loadKubeConfig({
      path: kubeconfigFile(dir, ["token: t", "as: alice", "as-user-extra: { scopes: [view, edit], 'acme.com/team': [a] }"]),
    });
    const { headers } = await readAuthSnapshot(kc);
    assert.deepEqual(headers["Impersonate-Extra-scopes"], ["view", "edit"]);
    assert.deepEqual(headers["Impersonate-Extra-acme.com%2Fteam"], ["a"]);
  });
});
