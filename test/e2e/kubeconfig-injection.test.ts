/**
 * client-node's `KubeConfig` resolved from the container when no operator names it in a
 * constructor (so the runtime never saw the class at start-up): a service injected by a string
 * token, and a handler calling `container.resolve(KubeConfig)` on the container it gave. Both get
 * the cluster the runtime talks to (docs/handler-context.md's promise), never an empty KubeConfig
 * tsyringe would build with `new KubeConfig()`.
 */
import "reflect-metadata";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import { container as rootContainer, inject, injectable } from "tsyringe";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { K8sType, Operator, Sync, SyncResponse } from "../../src/index.js";

/** A service registered under a string token: the operator's parameter type is an interface, so no class is in its metadata. */
interface ClusterInfo {
  server(): string | undefined;
}

@injectable()
class KubeConfigClusterInfo implements ClusterInfo {
  constructor(private readonly kubeConfig: KubeConfig) {}
  server(): string | undefined {
    return this.kubeConfig.getCurrentCluster()?.server;
  }
  kubeConfigInUse(): KubeConfig {
    return this.kubeConfig;
  }
}

const container = rootContainer.createChildContainer();
container.register("ClusterInfo", { useClass: KubeConfigClusterInfo });

let infoFromService: string | undefined;
let infoFromResolve: string | undefined;
/** What the last sync resolved, by identity: each runtime's KubeConfig is one instance. */
let resolvedByToken: KubeConfig | undefined;
let resolvedFromContainer: KubeConfig | undefined;

@Operator({ name: "kcinject", parent: K8sType.of("v1", "ConfigMap", { plural: "configmaps", namespaced: true }) })
class ServerReporter {
  constructor(@inject("ClusterInfo") private readonly info: ClusterInfo) {}

  @Sync()
  sync(): SyncResponse {
    infoFromService = this.info.server() ?? "(no cluster)";
    infoFromResolve = container.resolve(KubeConfig).getCurrentCluster()?.server ?? "(no cluster)";
    resolvedByToken = (this.info as KubeConfigClusterInfo).kubeConfigInUse();
    resolvedFromContainer = container.resolve(KubeConfig);
    return SyncResponse.of();
  }
}

let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false });
  kit = await TestKit.start({ controlPlane: cp, operators: [ServerReporter], container });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

test("a KubeConfig no operator names in a constructor resolves to the runtime's (by token, and from the given container)", async () => {
  await kit.createParent({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "probe" }, data: {} });
  await kit.eventually(() => assert.ok(infoFromService !== undefined && infoFromResolve !== undefined, "the handler ran"));
  const server = kit.runtime.kubeConfig.getCurrentCluster()?.server;
  assert.ok(server, "the runtime has a server");
  assert.equal(infoFromService, server, "a service injected by token gets the runtime's KubeConfig");
  assert.equal(infoFromResolve, server, "container.resolve(KubeConfig) on the given container gets the runtime's KubeConfig");
});

test("a second runtime in the process lends its own KubeConfig, not the first one's (stopped)", async () => {
  const first = kit.runtime.kubeConfig;
  await kit.close();
  resolvedByToken = resolvedFromContainer = undefined;
  kit = await TestKit.start({ controlPlane: cp, operators: [ServerReporter], container });
  const second = kit.runtime.kubeConfig;
  assert.notEqual(second, first, "two runtimes, two KubeConfig instances");
  await kit.createParent({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "probe-2" }, data: {} });
  await kit.eventually(() => assert.ok(resolvedByToken !== undefined && resolvedFromContainer !== undefined, "the handler ran"));
  assert.equal(resolvedByToken, second, "a service injected by token gets the running runtime's KubeConfig");
  assert.equal(resolvedFromContainer, second, "container.resolve(KubeConfig) gets the running runtime's KubeConfig");
});
