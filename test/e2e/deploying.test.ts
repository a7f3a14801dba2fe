/**
 * Everything `tsoperator manifests` generates for each sample is accepted by a real API server:
 * - the whole output (platform objects included: metrics Service, PodDisruptionBudget,
 *   NetworkPolicy, ServiceMonitor, dashboard ConfigMap; replicas 2 so the PDB and the topology
 *   spread are there) is sent with `dryRun=All`; the ServiceMonitor against a minimal copy of the
 *   Prometheus Operator's CRD (installed here: the real one is 500 kB of schema we do not need);
 * - the install namespace is really applied with its `restricted` pod-security labels, and a Pod
 *   made from the Deployment's template passes Pod Security admission there (dryRun, enforce);
 * - the CRDs and the RBAC are really applied, for every sample at once (test/e2e/rbac.test.ts runs
 *   the operators as that ServiceAccount, extra rules included);
 * - the generated metrics Service answers `/metrics` through the API server's service proxy. The
 *   local control plane has no kubelet and no pod network, so a Pod made from the generated
 *   template gets the status a kubelet would write (Ready, podIP = this machine's non-loopback
 *   address, where the operator runs in this process) and an EndpointSlice as its controller (not
 *   run by the local control plane) would write from the Service's selector and named port;
 *   the proxy checks the address against that Pod and reaches the operator's health server. Not proven here: a container runtime
 *   running the image, and the NetworkPolicy being enforced (no CNI).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import { compileOperator } from "../../src/api/index.js";
import type { KubeObject } from "../../src/core/kube-object.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { allObjects, generateManifests, type GeneratedManifests } from "../../src/manifests/index.js";
import { createLogger } from "../../src/observability/logger.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { EchoServerOperator } from "../../samples/echo-server/echo-server.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";
import { tempNamespaceOperator } from "../../samples/temp-namespace/temp-namespace.js";

/** The Prometheus Operator's ServiceMonitor kind, without its schema: enough for the API server to accept one. */
const SERVICE_MONITOR_CRD: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "servicemonitors.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    names: { kind: "ServiceMonitor", listKind: "ServiceMonitorList", plural: "servicemonitors", singular: "servicemonitor" },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

const SAMPLES = {
  "echo-server": () => [compileOperator(EchoServerOperator)],
  greeting: () => [compileOperator(GreetingOperator)],
  "temp-namespace": () => [compileOperator(tempNamespaceOperator())],
};

function generate(sample: keyof typeof SAMPLES): GeneratedManifests {
  return generateManifests(SAMPLES[sample](), {
    installNamespace: `${sample}-system`,
    deployment: { image: `example.com/${sample}:1.0`, modulePath: `dist/samples/${sample}/${sample}.js`, replicas: 2 },
    platform: { serviceMonitor: true, grafanaDashboard: true, extraIngressPorts: [9443] },
  });
}

/** The first IPv4 address that is not loopback (the API server refuses loopback Endpoints). */
/** A TCP port free on `host` right now. */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function machineAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

describe("generated deployment objects on a real API server", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let admin: KubeClient;
  let discovery: Discovery;
  let runtime: OperatorRuntime | undefined;
  const resource = (obj: KubeObject) => discovery.resolve(obj.apiVersion!, obj.kind!);

  before(async () => {
    cp = await LocalControlPlane.start();
    admin = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(admin);
    await applyManifests(admin, discovery, [SERVICE_MONITOR_CRD], "deploying-e2e");
  });

  after(async () => {
    await runtime?.stop();
    await admin?.close();
    await cp?.stop();
  });

  for (const sample of Object.keys(SAMPLES) as Array<keyof typeof SAMPLES>) {
    it(`${sample}: every object passes dryRun=All, the pod template passes restricted Pod Security, CRDs and RBAC are applied`, async () => {
      const m = generate(sample);
      const kinds = new Set(allObjects(m).map((o) => o.kind));
      for (const kind of ["Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor", "ConfigMap"]) {
        assert.ok(kinds.has(kind), `${sample} generates a ${kind}`);
      }
      // The namespace for real (namespaced dry runs need it), with its pod-security labels.
      await applyManifests(admin, discovery, [m.namespace!], "deploying-e2e");
      const ns = await admin.get(await discovery.resolve("v1", "Namespace"), undefined, m.namespace!.metadata!.name!);
      assert.equal(ns?.metadata?.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
      for (const obj of allObjects(m)) {
        await admin.apply(await resource(obj), obj, { fieldManager: "deploying-e2e", force: true, dryRun: true });
      }
      // Pod Security admission checks Pods (a Deployment only warns): a Pod from the template, enforced.
      const template = (m.deployment!.spec as any).template;
      const metadata = { ...template.metadata, name: "template-check", namespace: m.namespace!.metadata!.name! };
      const pod = { apiVersion: "v1", kind: "Pod", metadata, spec: template.spec };
      await admin.create(await discovery.resolve("v1", "Pod"), pod, { dryRun: true });
      // A Pod that breaks `restricted` is refused there: the labels are enforced, not decorative.
      const loose = { ...pod, spec: { ...template.spec, securityContext: {}, containers: [{ name: "c", image: "x" }] } };
      await assert.rejects(admin.create(await discovery.resolve("v1", "Pod"), loose, { dryRun: true }), /restricted|forbidden/i);
      await applyManifests(admin, discovery, [...m.crds, ...m.rbac], "deploying-e2e");
      for (const obj of [...m.crds, ...m.rbac]) {
        assert.ok(
          await admin.get(await resource(obj), obj.metadata?.namespace, obj.metadata!.name!),
          `${obj.kind}/${obj.metadata!.name} applied`,
        );
      }
    });
  }

  it("the generated metrics Service answers /metrics through the API server's service proxy", async () => {
    const address = machineAddress();
    assert.ok(address, "a non-loopback IPv4 address on this machine");
    const healthPort = await freePort(address!);
    const m = generateManifests(SAMPLES.greeting(), {
      installNamespace: "greeting-system",
      deployment: { image: "example.com/greeting:1.0", modulePath: "dist/samples/greeting/greeting.js", healthPort },
      platform: {},
    });
    const namespace = m.namespace!.metadata!.name!;
    runtime = await runOperators([GreetingOperator], {
      kubeConfig: cp.kubeConfig,
      handleSignals: false,
      healthPort,
      healthHost: address!,
      logger: createLogger({ level: "warn", format: "json" }),
    });
    const service = m.workload!.find((o) => o.kind === "Service")!;
    await applyManifests(admin, discovery, [m.namespace!, service], "deploying-e2e");
    // A Pod from the generated template stands for the Deployment's: no kubelet runs it, so its
    // status is written as a kubelet would (Ready, podIP = this machine, where the operator listens).
    // The API server's proxy checks an endpoint address against its Pod: the path a real pod's metrics take.
    const template = (m.deployment!.spec as any).template;
    const podType = await discovery.resolve("v1", "Pod");
    await admin.create(podType, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { ...template.metadata, name: "operator-0", namespace },
      spec: template.spec,
    });
    const now = new Date().toISOString();
    await admin.request("PATCH", `/api/v1/namespaces/${namespace}/pods/operator-0/status`, {
      contentType: "application/merge-patch+json",
      body: {
        status: {
          phase: "Running",
          podIP: address,
          podIPs: [{ ip: address }],
          conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }],
        },
      },
    });
    const name = service.metadata!.name!;
    const port = (service.spec as any).ports[0];
    // The local control plane runs only the garbage collector and namespace controllers: the
    // EndpointSlice is written here as the EndpointSlice controller would, from the Service's
    // selector (which matches the Pod's labels), its named targetPort and the Pod's IP. (The proxy
    // of this API server version resolves through EndpointSlices: a v1 Endpoints alone answered 503.)
    const selector = (service.spec as any).selector as Record<string, string>;
    for (const [key, value] of Object.entries(selector)) assert.equal(template.metadata.labels[key], value, `the selector matches ${key}`);
    const containerPort = template.spec.containers[0].ports.find((p: any) => p.name === port.targetPort).containerPort;
    assert.equal(containerPort, healthPort);
    await admin.apply(
      await discovery.resolve("discovery.k8s.io/v1", "EndpointSlice"),
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: `${name}-0`,
          namespace,
          labels: { "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": "deploying-e2e" },
        },
        addressType: "IPv4",
        endpoints: [{ addresses: [address!], conditions: { ready: true }, targetRef: { kind: "Pod", name: "operator-0", namespace } }],
        ports: [{ name: port.name, port: containerPort, protocol: "TCP" }],
      },
      { fieldManager: "deploying-e2e", force: true },
    );
    const dispatcher = new Agent({ connect: { ca: cp.caCert } });
    try {
      const url = `${cp.server}/api/v1/namespaces/${namespace}/services/${name}:${port.name}/proxy/metrics`;
      let res: Awaited<ReturnType<typeof request>>;
      let text = "";
      // The API server's informers see the new EndpointSlice a moment after it is written.
      for (let attempt = 0; ; attempt++) {
        res = await request(url, { dispatcher, headers: { authorization: `Bearer ${cp.adminToken}` } });
        text = await res.body.text();
        if (res.statusCode !== 503 || attempt >= 50) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(res.statusCode, 200, text.slice(0, 300));
      assert.match(text, /^controller_runtime_reconcile_total|controller_runtime_max_concurrent_reconciles\{controller="greeting"/m);
    } finally {
      await dispatcher.close();
    }
  });
});
