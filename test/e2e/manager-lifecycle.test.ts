/**
 * The Manager on a real API server, running as a ServiceAccount with deliberately incomplete RBAC:
 * - an operator that cannot list one of its child types fails alone, loudly (error log, /readyz red,
 *   `state().controllers[i].failed`), after the cache-sync timeout; the other operator reconciles
 *   (issue 9, item 8);
 * - a standby whose Lease it cannot read or write is not ready and says why (issue 9, item 16);
 * - a user's runnable runs only on the leader and stops with the operators.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { createLogger } from "../../src/observability/logger.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import type { Runnable } from "../../src/manager/runnable.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, readManifests } from "../../src/testing/manifests.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";
import { EchoServerOperator } from "../../samples/echo-server/echo-server.js";
import { serviceAccountKubeConfig } from "./support/service-account.js";
import { waitFor } from "./support/wait.js";

const sample = (path: string) => fileURLToPath(new URL(`../../../samples/${path}`, import.meta.url));
const NS = "lifecycle";
const SA_NS = "operators";
const SA = "limited";
const FAST_LEASE = { name: "greeting-leader", retryPeriodSeconds: 1, renewDeadlineSeconds: 2, leaseDurationSeconds: 3 };

/** Everything the two samples need, except list/watch on Services (echo-server's child). */
const clusterRole = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name: "limited" },
  rules: [
    {
      apiGroups: ["samples.tsoperator.dev"],
      resources: ["greetings", "greetings/status", "echoservers", "echoservers/status"],
      verbs: ["*"],
    },
    { apiGroups: [""], resources: ["configmaps", "pods"], verbs: ["*"] },
    { apiGroups: [""], resources: ["services"], verbs: ["get", "create", "update", "patch", "delete"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  ],
};
/** Leases only in the operators' own namespace, as the generated Role grants them. */
const leaseRole = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  metadata: { name: "limited-leases", namespace: SA_NS },
  rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }],
};
const bindings = [
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "limited" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "limited" },
    subjects: [{ kind: "ServiceAccount", name: SA, namespace: SA_NS }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "limited-leases", namespace: SA_NS },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "limited-leases" },
    subjects: [{ kind: "ServiceAccount", name: SA, namespace: SA_NS }],
  },
];

describe("the manager with incomplete RBAC", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let admin: KubeClient;
  let discovery: Discovery;
  let kubeConfig: KubeConfig;
  const runtimes: OperatorRuntime[] = [];

  before(async () => {
    cp = await LocalControlPlane.start({ controllerManager: false });
    admin = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(admin);
    const crds = [...(await readManifests(sample("greeting/crd.yaml"))), ...(await readManifests(sample("echo-server/crd.yaml")))];
    await applyManifests(admin, discovery, [
      ...crds,
      { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
      { apiVersion: "v1", kind: "Namespace", metadata: { name: SA_NS } },
    ]);
    await applyManifests(admin, discovery, [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: SA_NS } },
      clusterRole,
      leaseRole,
      ...bindings,
    ]);
    kubeConfig = await serviceAccountKubeConfig(cp, admin, SA_NS, SA);
  });

  after(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    await admin?.close();
    await cp?.stop();
  });

  function logTo(lines: string[]) {
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        if (process.env.TSOPERATOR_TEST_LOGS) process.stderr.write(chunk);
        done();
      },
    });
    return createLogger({ level: "info", format: "json", stream });
  }

  type Readyz = { status: number; body: { checks: Array<{ name: string; ok: boolean; detail?: string }> } };
  async function readyz(runtime: OperatorRuntime): Promise<Readyz> {
    const res = await fetch(`http://127.0.0.1:${runtime.healthPort}/readyz?verbose`);
    return { status: res.status, body: (await res.json()) as never };
  }

  /** runOperators, or a rejection when it has not resolved in time (today's stall). */
  type Options = Parameters<typeof runOperators>[1];
  async function start(options: Options, operators: Parameters<typeof runOperators>[0]): Promise<OperatorRuntime> {
    let timer: NodeJS.Timeout | undefined;
    const started = runOperators(operators, { kubeConfig, handleSignals: false, healthPort: 0, healthHost: "127.0.0.1", ...options });
    const runtime = await Promise.race([
      started,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("runOperators did not resolve within 20 s")), 20_000))),
    ]).finally(() => clearTimeout(timer));
    runtimes.push(runtime);
    return runtime;
  }

  it("an operator that cannot list a child type fails alone after the cache-sync timeout; the other reconciles", async () => {
    const lines: string[] = [];
    const runtime = await start({ namespace: NS, cacheSyncTimeoutMs: 3_000, logger: logTo(lines) }, [GreetingOperator, EchoServerOperator]);
    const greetings = await discovery.resolve("samples.tsoperator.dev/v1", "Greeting");
    await admin.create(greetings, { metadata: { name: "hello", namespace: NS }, spec: { name: "Ada" } });
    const configMaps = await discovery.resolve("v1", "ConfigMap");
    await waitFor("the greeting's ConfigMap", () => admin.get(configMaps, NS, "hello-greeting"));

    const echo = await waitFor("echo-server reported failed", () =>
      runtime.state().controllers.find((c) => c.name === "echo-server" && c.failed),
    );
    assert.match(echo.failed!, /caches not synced after 3 s .*services.*forbidden/i);
    assert.equal(runtime.state().controllers.find((c) => c.name === "greeting")?.failed, undefined);
    assert.match(runtime.inspect("echo-server").failure() ?? "", /caches not synced/);
    assert.ok(
      lines.some((l) => /"level":"error"/.test(l) && /caches not synced/.test(l)),
      "an error is logged",
    );
    const ready = await readyz(runtime);
    assert.equal(ready.status, 503);
    const red = ready.body.checks.filter((c) => c.name.startsWith("controller:") && !c.ok).map((c) => c.name);
    assert.deepEqual(red, ["controller:echo-server"]);
    // Not live-red: a restart does not grant RBAC, and a restart loop would interrupt greeting.
    assert.equal((await fetch(`http://127.0.0.1:${runtime.healthPort}/healthz`)).status, 200);
    await runtime.stop();
  });

  it("a standby that cannot use its Lease is not ready and logs why; with a usable Lease it leads", async () => {
    const lines: string[] = [];
    const stuck = await start({ namespace: NS, logger: logTo(lines), leaderElection: { namespace: "default", ...FAST_LEASE } }, [
      GreetingOperator,
    ]);
    const leaseError = /cannot read or write Lease default\/greeting-leader.*forbidden/i;
    await waitFor("an error log about the Lease", () => lines.some((l) => /"level":"error"/.test(l) && leaseError.test(l)));
    const ready = await readyz(stuck);
    assert.equal(ready.status, 503, JSON.stringify(ready.body));
    assert.match(ready.body.checks.find((c) => c.name === "leader-election")?.detail ?? "", /POD_NAMESPACE/);
    assert.equal(stuck.state().leading, false);
    await stuck.stop();

    const ran: string[] = [];
    const job: Runnable = {
      name: "leader-job",
      async start(signal) {
        ran.push("start");
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        ran.push("stop");
      },
    };
    const fine = await start({ namespace: NS, logger: logTo([]), runnables: [job], leaderElection: { namespace: SA_NS, ...FAST_LEASE } }, [
      GreetingOperator,
    ]);
    await waitFor("leading", () => fine.state().leading);
    await waitFor("the user's runnable started under the lease", () => ran.includes("start"));
    assert.equal((await readyz(fine)).status, 200);
    await fine.stop();
    assert.deepEqual(ran, ["start", "stop"]);
  });
});
