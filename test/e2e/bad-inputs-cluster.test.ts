/**
 * Bad input, the user's and the cluster's (issue 11): a parent whose spec breaks its schema or the
 * size limit, a child type RBAC forbids writing, a child type RBAC forbids listing, the parent's
 * CRD deleted under the running operator (and re-created), and the operator's token revoked (and
 * a new one given). The operators run as a ServiceAccount whose bound token is read from a
 * `token-file`, as in a Pod. Each case: the failure is reported (Event, log, readiness, metric),
 * nothing claims success, the operator does not crash, and a bystander parent of another operator
 * keeps converging (except while the token is revoked: every request of the process fails then,
 * and the case measures the recovery instead).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { KubeConfig, V1ConfigMap, V1Secret, V1ServiceAccount } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, type KubeObject, type OperatorDefinition, type SyncRequest, type TypeRef } from "../../src/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { ApiError } from "../../src/kube/errors.js";
import { loadKubeConfig } from "../../src/kube/kubeconfig.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { eventually, LocalControlPlane } from "../../src/testing/index.js";
import { renderKubeconfig } from "../../src/testing/control-plane/credentials.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, E2E_GROUP, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

const NS = "bi-cluster";
const OPS = "bi-ops";
const SA = "operator";

/** Steady's spec has a schema: `replicas` is an integer (the user's invalid spec). */
const steadyCrd: KubeObject = (() => {
  const crd = testCrd("Steady") as { spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] } };
  crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec = {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
    properties: { replicas: { type: "integer", minimum: 0 } },
  };
  return crd as unknown as KubeObject;
})();

const rbac: KubeObject[] = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: OPS } },
  { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SA, namespace: OPS } },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "bi-operator" },
    rules: [
      { apiGroups: [E2E_GROUP], resources: ["*"], verbs: ["*"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["*"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] }, // no create, no patch
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "update"] },
      // nothing on serviceaccounts: not even list
    ],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "bi-operator" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "bi-operator" },
    subjects: [{ kind: "ServiceAccount", name: SA, namespace: OPS }],
  },
];

interface Spec {
  message?: string;
  secret?: boolean;
}

const cm = (name: string, message: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: `${name}-cm` },
  data: { message },
});

function simple(name: string, kind: string, extraChildren: TypeRef[] = []): OperatorDefinition {
  let config = new OperatorConfig(name, testType(kind)).withChild(V1ConfigMap).withBackoff({ initialDelayMs: 200, maxDelayMs: 2_000 });
  for (const type of extraChildren) config = config.withChild(type);
  return {
    config,
    handler: (req: SyncRequest<KubeObject>) => {
      const parentName = req.raw.metadata!.name!;
      const spec = (req.raw.spec ?? {}) as Spec;
      const message = spec.message ?? "";
      const response = SyncResponse.of({ message }).withChild(cm(parentName, message));
      if (spec.secret)
        response.withChild({ apiVersion: "v1", kind: "Secret", metadata: { name: `${parentName}-secret` }, stringData: { a: "b" } });
      return response;
    },
  };
}

const steady = simple("steady", "Steady");
const secretive = simple("secretive", "Secretive", [V1Secret]);
const unlisted = simple("unlisted", "Unlisted", [V1ServiceAccount]);
const vanish = simple("vanish", "Vanish");
/** A parent whose child is a custom resource (kind Egg) whose CRD is deleted and re-created. */
const nest: OperatorDefinition = {
  config: new OperatorConfig("nest", testType("Nest")).withChild(testType("Egg")).withBackoff({ initialDelayMs: 200, maxDelayMs: 2_000 }),
  handler: (req: SyncRequest<KubeObject>) => {
    const message = ((req.raw.spec ?? {}) as Spec).message ?? "";
    const egg = { apiVersion: E2E_API_VERSION, kind: "Egg", metadata: { name: `${req.raw.metadata!.name}-egg` }, spec: { message } };
    return SyncResponse.of({ message }).withChild(egg);
  },
};

describe("bad input from the user and the cluster: reported, no false success, no crash, others go on", { timeout: 180_000 }, () => {
  let cp: LocalControlPlane;
  let admin: KubeClient;
  let discovery: Discovery;
  let runtime: OperatorRuntime;
  let dir: string;
  let tokenPath: string;
  const logs = new LogCapture();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let tick = 0;

  const type = (apiVersion: string, kind: string) => discovery.resolve(apiVersion, kind);
  const get = async (kind: string, name: string, apiVersion = E2E_API_VERSION) =>
    admin.get(await type(apiVersion, kind), NS, name).catch(() => undefined);
  const create = async (obj: KubeObject) => admin.create(await type(obj.apiVersion!, obj.kind!), obj);
  const parent = (kind: string, name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: E2E_API_VERSION,
    kind,
    metadata: { name, namespace: NS },
    spec,
  });

  async function converged(kind: string, name: string, message: string, timeoutMs?: number): Promise<KubeObject> {
    return eventually(
      async () => {
        const p = await get(kind, name);
        const status = p?.status as { observedGeneration?: number; message?: string } | undefined;
        assert.equal(status?.observedGeneration, p?.metadata?.generation, `${kind} ${name} has not converged`);
        assert.equal(status?.message, message);
        return p!;
      },
      { timeout: timeoutMs },
    );
  }

  async function events(name: string): Promise<KubeObject[]> {
    const list = await admin.list(await type("v1", "Event"), { namespace: NS });
    return list.items.filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === name);
  }

  /** The bystander (another operator, same process) converges on a change made now. */
  async function bystanderConverges(): Promise<void> {
    tick++;
    await admin.patch(await type(E2E_API_VERSION, "Steady"), NS, "bystander", { spec: { message: `tick-${tick}` } }, "merge");
    await converged("Steady", "bystander", `tick-${tick}`);
  }

  /** A token of the operator's ServiceAccount, valid while Secret `bound` exists. */
  async function boundToken(bound: string): Promise<string> {
    const secret = await create({ apiVersion: "v1", kind: "Secret", metadata: { name: bound, namespace: OPS } });
    const answer = (await admin.request("POST", `/api/v1/namespaces/${OPS}/serviceaccounts/${SA}/token`, {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: "v1", kind: "Secret", name: bound, uid: secret.metadata!.uid } },
      },
    })) as { status: { token: string } };
    return answer.status.token;
  }

  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    cp = await LocalControlPlane.start({ controllerManager: false });
    admin = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(admin);
    await applyManifests(admin, discovery, [
      steadyCrd,
      testCrd("Secretive"),
      testCrd("Unlisted"),
      testCrd("Vanish"),
      testCrd("Nest"),
      testCrd("Egg"),
      ...rbac,
    ]);
    dir = mkdtempSync(join(tmpdir(), "tsoperator-bad-inputs-"));
    tokenPath = join(dir, "token");
    writeFileSync(tokenPath, await boundToken("token-1"));
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfigPath,
      renderKubeconfig(cp.server, cp.caCert, "unused").replace(/^(\s+)token: unused$/m, `$1token-file: ${tokenPath}`),
    );
    // The CRDs' resources answer 404 for a moment after Established.
    await eventually(async () => admin.list(await type(E2E_API_VERSION, "Vanish"), { namespace: NS }));
    await eventually(async () => admin.list(await type(E2E_API_VERSION, "Egg"), { namespace: NS }));
    runtime = await runOperators([steady, secretive, unlisted, vanish, nest], {
      kubeConfig: loadKubeConfig({ path: kubeconfigPath }),
      handleSignals: false,
      logger: logs.logger,
      cacheSyncTimeoutMs: 5_000,
    });
    await create(parent("Steady", "bystander", { message: "tick-0" }));
    await converged("Steady", "bystander", "tick-0");
  });

  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await runtime?.stop();
    await admin?.close();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a parent whose spec breaks its schema, or is over the size limit, is refused by the API server: the operator never sees it", async (t) => {
    const refused = async (obj: KubeObject) =>
      create(obj).then(
        () => assert.fail("the API server accepted it"),
        (error: unknown) => error as ApiError,
      );
    const invalid = await refused(parent("Steady", "invalid-spec", { replicas: "three" }));
    assert.equal(invalid.statusCode, 422);
    assert.match(invalid.message, /spec\.replicas.*integer/);
    const negative = await refused(parent("Steady", "negative", { replicas: -1 }));
    assert.match(negative.message, /spec\.replicas.*greater than or equal to 0/);
    const huge = await refused(parent("Steady", "huge-spec", { blob: "x".repeat(4 * 1024 * 1024) }));
    assert.match(`${huge.statusCode} ${huge.message}`, /413|too large/i);
    for (const e of [invalid, negative, huge]) t.diagnostic(`${e.statusCode}: ${e.message.slice(0, 300)}`);
    for (const name of ["invalid-spec", "negative", "huge-spec"]) {
      assert.equal(runtime.inspect("steady").errorCount(NS, name), 0);
      assert.deepEqual(await events(name), []);
    }
    await bystanderConverges();
  });

  it("a child type RBAC forbids writing: ChildWriteFailed (forbidden), the sibling written, the generation not claimed", async (t) => {
    await create(parent("Secretive", "sec-ok", { message: "v1" }));
    await create(parent("Secretive", "sec", { message: "v1", secret: true }));
    await converged("Secretive", "sec-ok", "v1");
    const event = await eventually(async () => {
      const found = (await events("sec")).find((e) => e.reason === "ChildWriteFailed");
      assert.ok(found, "no ChildWriteFailed Event");
      return found;
    });
    t.diagnostic(`ChildWriteFailed: ${String(event.message).slice(0, 300)}`);
    assert.match(String(event.message), /Secret .*sec-secret.*forbidden/i);
    assert.equal(event.type, "Warning");
    assert.ok(await get("ConfigMap", "sec-cm", "v1"), "the allowed sibling was not written");
    const p = await get("Secretive", "sec");
    assert.equal((p?.status as { observedGeneration?: number } | undefined)?.observedGeneration, undefined, "generation claimed");
    assert.ok(logs.find({ operator: "secretive", parent: `${NS}/sec`, reason: "ChildWriteFailed", level: "error" }).length > 0);
    await eventually(async () => assert.ok(runtime.inspect("secretive").errorCount(NS, "sec") >= 2, "not retried"));
    await bystanderConverges();
  });

  it("a child type RBAC forbids listing: that operator fails to start, says why, readiness is red; the others run", async () => {
    const failure = runtime.inspect("unlisted").failure();
    assert.match(String(failure), /serviceaccounts.*(forbidden|Forbidden)|(forbidden|Forbidden).*serviceaccounts/);
    const readiness = runtime.readiness().find((r) => r.name === "controller:unlisted");
    assert.equal(readiness?.ok, false, JSON.stringify(runtime.readiness()));
    // One error line says which operator stopped and why (the 403 on list, and what to do).
    const line = logs.find({ level: "error", runnable: "controller:unlisted" })[0];
    assert.match(JSON.stringify(line?.err ?? {}), /serviceaccounts is forbidden.*check that its RBAC allows list and watch/);
    await create(parent("Unlisted", "u1", { message: "v1" }));
    await sleep(500);
    assert.equal((await get("Unlisted", "u1"))?.status, undefined, "a parent of an operator that did not start claims a status");
    await bystanderConverges();
  });

  it("the parent's CRD deleted under the running operator, then re-created: reported, others go on, new parents converge", async (t) => {
    const crds = await type("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    await create(parent("Vanish", "v1", { message: "v1" }));
    await converged("Vanish", "v1", "v1");
    await admin.delete(crds, undefined, `vanishs.${E2E_GROUP}`);
    await eventually(async () => assert.equal(await admin.get(crds, undefined, `vanishs.${E2E_GROUP}`), undefined), { timeout: 30_000 });
    await bystanderConverges();
    const gone = await eventually(
      () => {
        const lines = logs.find({ msg: "vanishs" }).filter((r) => r.level === "warn" || r.level === "error");
        assert.ok(lines.length > 0, "nothing in the log says the type is gone");
        return lines;
      },
      { timeout: 15_000 },
    );
    t.diagnostic(`log: ${String(gone[0]?.msg).slice(0, 300)}`);

    await applyManifests(admin, discovery, [testCrd("Vanish")]);
    const recreated = Date.now();
    await eventually(async () => create(parent("Vanish", "v2", { message: "again" })), { timeout: 20_000 });
    await converged("Vanish", "v2", "again", 40_000);
    t.diagnostic(`a parent of the re-created CRD converged ${Date.now() - recreated} ms after the CRD was applied`);
    await bystanderConverges();
  });

  it("a child type's CRD deleted under the running operator, then re-created: ChildWriteFailed meanwhile, the child comes back", async (t) => {
    const crds = await type("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    const eggs = await type(E2E_API_VERSION, "Egg");
    await create(parent("Nest", "n1", { message: "v1" }));
    await converged("Nest", "n1", "v1");
    await eventually(async () => assert.ok(await admin.get(eggs, NS, "n1-egg"), "no Egg"));
    await admin.delete(crds, undefined, `eggs.${E2E_GROUP}`);
    await eventually(async () => assert.equal(await admin.get(crds, undefined, `eggs.${E2E_GROUP}`), undefined), { timeout: 30_000 });
    // A new generation while the child type is gone: reported, not claimed.
    await admin.patch(await type(E2E_API_VERSION, "Nest"), NS, "n1", { spec: { message: "v2" } }, "merge");
    // The Egg's deletion with its CRD syncs n1 at once; a write in the moment the CRD terminates is
    // refused with 403 "terminating" (an Event of its own message): the type no longer served is the 404 one.
    const event = await eventually(async () => {
      const found = (await events("n1")).find((e) => e.reason === "ChildWriteFailed" && / 404 /.test(String(e.message)));
      assert.ok(found, `no ChildWriteFailed Event: ${JSON.stringify((await events("n1")).map((e) => e.reason))}`);
      return found;
    });
    t.diagnostic(`ChildWriteFailed: ${String(event.message).slice(0, 300)}`);
    assert.match(String(event.message), /Egg .*n1-egg.*404.*does not serve this resource type: is its CRD installed\?/);
    const p = await get("Nest", "n1");
    assert.equal(((p?.status ?? {}) as { observedGeneration?: number }).observedGeneration, 1, "the generation was claimed");
    await bystanderConverges();

    await applyManifests(admin, discovery, [testCrd("Egg")]);
    const recreated = Date.now();
    await converged("Nest", "n1", "v2", 60_000);
    await eventually(async () => assert.ok(await admin.get(eggs, NS, "n1-egg"), "the Egg was not created again"), { timeout: 30_000 });
    t.diagnostic(`the child was written again ${Date.now() - recreated} ms after its CRD was applied`);
  });

  it("the operator's token revoked, then a new one in its token file: errors logged, no crash, converges once it works again", async (t) => {
    const revoked = readFileSync(tokenPath, "utf8");
    await admin.delete(await type("v1", "Secret"), OPS, "token-1");
    // The revoked token answers 401 once the API server has seen its bound Secret go.
    const withRevoked = new KubeConfig();
    withRevoked.loadFromString(renderKubeconfig(cp.server, cp.caCert, revoked));
    const probe = KubeClient.fromKubeConfig(withRevoked);
    try {
      await eventually(async () => {
        const code = await probe.list(await type("v1", "ConfigMap"), { namespace: NS }).then(
          () => 200,
          (e: unknown) => (e instanceof ApiError ? e.statusCode : -1),
        );
        assert.equal(code, 401);
      });
    } finally {
      await probe.close();
    }
    await create(parent("Steady", "while-revoked", { message: "r1" }));
    const refused = await eventually(
      () => {
        const lines = [...logs.find({ msg: "401" }), ...logs.find({ msg: "Unauthorized" })];
        assert.ok(lines.length > 0, "nothing in the log says the credentials are refused");
        return lines;
      },
      { timeout: 15_000 },
    );
    await sleep(3_000);
    assert.equal((await get("Steady", "while-revoked"))?.status, undefined, "synced with a revoked token?");
    t.diagnostic(`log (${refused[0]?.level}): ${String(refused[0]?.msg).slice(0, 300)}`);
    assert.equal(runtime.signal.aborted, false, "the runtime stopped");

    writeFileSync(tokenPath, await boundToken("token-2"));
    const restored = Date.now();
    await converged("Steady", "while-revoked", "r1", 60_000);
    t.diagnostic(`converged ${Date.now() - restored} ms after a valid token was written`);
    await bystanderConverges();
  });

  it("no crash: no unhandled rejection", () => {
    assert.deepEqual(unhandled, []);
  });
});
