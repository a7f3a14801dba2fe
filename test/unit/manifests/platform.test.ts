/**
 * What surrounds the Deployment (metrics Service, ServiceMonitor, dashboard, PDB, NetworkPolicy,
 * pod-security labels, startupProbe, spread), the file layouts (the kustomize base is the plain
 * stream: one source of truth) and the Dockerfile. Pure; the API server's acceptance is
 * test/e2e/deploying.test.ts.
 */
import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import { compileOperator } from "../../../src/api/index.js";
import {
  DASHBOARD_METRICS,
  allObjects,
  buildStageCommands,
  dockerfileFor,
  generateManifests,
  grafanaDashboard,
  kustomizeFiles,
  plainFiles,
  runtimeLayerPaths,
  toYaml,
  type GeneratedManifests,
} from "../../../src/manifests/index.js";
import { EchoServerOperator } from "../../../samples/echo-server/echo-server.js";
import { tempNamespaceOperator } from "../../../samples/temp-namespace/temp-namespace.js";

const deployment = { image: "example.com/ops:1", modulePath: "dist/ops.js" };
const everything = (replicas: number): GeneratedManifests =>
  generateManifests([compileOperator(EchoServerOperator), tempNamespaceOperator()], {
    installNamespace: "ops",
    watchNamespaces: ["a", "b"],
    deployment: { ...deployment, replicas, imagePullPolicy: "IfNotPresent" },
    platform: { serviceMonitor: true, grafanaDashboard: true, extraIngressPorts: [9443] },
  });
const parseStream = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

describe("platform objects", () => {
  it("none without `platform`: existing callers see the same objects", () => {
    const m = generateManifests([compileOperator(EchoServerOperator)], { deployment });
    assert.equal(m.workload, undefined);
    assert.equal(m.monitoring, undefined);
    assert.equal(m.namespace?.metadata?.labels, undefined);
  });

  it("replicas 2: Service, PDB, NetworkPolicy, ServiceMonitor, dashboard; restricted namespace; spread and startupProbe", () => {
    const m = everything(2);
    assert.deepEqual(
      allObjects(m)
        .slice(-6)
        .map((o) => `${o.kind}/${o.metadata?.name}`),
      [
        "Deployment/tsoperator",
        "Service/tsoperator-metrics",
        "PodDisruptionBudget/tsoperator",
        "NetworkPolicy/tsoperator",
        "ServiceMonitor/tsoperator",
        "ConfigMap/tsoperator-dashboard",
      ],
    );
    assert.equal(m.namespace?.metadata?.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
    const pod = (m.deployment as any).spec.template.spec;
    assert.equal(pod.topologySpreadConstraints[0].topologyKey, "kubernetes.io/hostname");
    assert.deepEqual(pod.containers[0].startupProbe.httpGet, { path: "/healthz", port: "http-health" });
    assert.equal(pod.containers[0].imagePullPolicy, "IfNotPresent");
    const policy = m.workload!.find((o) => o.kind === "NetworkPolicy") as any;
    assert.deepEqual(
      policy.spec.ingress[0].ports.map((p: any) => p.port),
      [8080, 9443],
    );
    assert.deepEqual(
      policy.spec.egress.flatMap((e: any) => e.ports.map((p: any) => `${p.protocol}/${p.port}`)),
      ["UDP/53", "TCP/53", "TCP/443", "TCP/6443"],
    );
    const service = m.workload![0] as any;
    const monitor = m.monitoring![0] as any;
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels[key], value);
    assert.equal(monitor.spec.endpoints[0].port, service.spec.ports[0].name);
  });

  it("replicas 1: no PodDisruptionBudget (it would block every drain), no spread", () => {
    const m = everything(1);
    assert.ok(!allObjects(m).some((o) => o.kind === "PodDisruptionBudget"));
    assert.equal((m.deployment as any).spec.template.spec.topologySpreadConstraints, undefined);
  });

  it("the dashboard queries only metric names the runtime registers", () => {
    const sources = ["src/observability/metrics.ts", "src/observability/workqueue-metrics.ts"]
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    for (const metric of DASHBOARD_METRICS) assert.ok(sources.includes(`"${metric.replace(/_bucket$/, "")}"`), metric);
    const exprs = (grafanaDashboard("t", "j").panels as any[]).flatMap((p) => p.targets.map((t: any) => t.expr as string));
    const used = new Set(exprs.flatMap((e) => e.match(/\b(controller_runtime|workqueue)_[a-z_]+/g) ?? []));
    assert.deepEqual([...used].sort(), [...DASHBOARD_METRICS].sort());
  });
});

describe("file layouts", () => {
  it("the kustomize base lists one file per object, and reading them back in its order is the plain stream", () => {
    for (const m of [everything(2), everything(1)]) {
      const files = new Map(kustomizeFiles(m));
      const kustomization = parse(files.get("kustomization.yaml")!);
      assert.equal(kustomization.kind, "Kustomization");
      assert.equal(kustomization.resources.length, files.size - 1);
      const rendered = (kustomization.resources as string[]).flatMap((f) => parseStream(files.get(f)!));
      assert.deepEqual(rendered, parseStream(toYaml(allObjects(m))));
      // The numbered files hold the same objects too.
      assert.deepEqual(
        plainFiles(m).flatMap(([, text]) => parseStream(text)),
        parseStream(toYaml(allObjects(m))),
      );
    }
  });

  it("is byte-stable", () => {
    assert.deepEqual(kustomizeFiles(everything(2)), kustomizeFiles(everything(2)));
  });
});

describe("Dockerfile", () => {
  it("builds with the project's tsc, prunes dev dependencies, runs the Deployment's command as non-root on a small base", () => {
    const text = dockerfileFor({ modulePath: "dist/ops.js" });
    const stages = text.split(/\n(?=FROM )/).filter((part) => part.startsWith("FROM "));
    assert.equal(stages.length, 2);
    assert.match(stages[0]!, /^FROM node:24-alpine AS build$/m);
    assert.deepEqual(
      [...stages[0]!.matchAll(/^RUN (.*)$/gm)].map((m) => m[1]),
      buildStageCommands(),
    );
    assert.match(stages[1]!, /^FROM node:24-alpine$/m);
    assert.match(stages[1]!, /^USER node$/m);
    assert.ok(!/^RUN /m.test(stages[1]!), "nothing runs in the final layer");
    assert.deepEqual(
      [...stages[1]!.matchAll(/^COPY --from=build \/app\/(\S+) /gm)].map((m) => m[1]),
      runtimeLayerPaths(),
    );
    const container = (generateManifests([compileOperator(EchoServerOperator)], { deployment }).deployment as any).spec.template.spec
      .containers[0];
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(text)![1]!);
    assert.deepEqual(entrypoint, container.command);
  });
});
