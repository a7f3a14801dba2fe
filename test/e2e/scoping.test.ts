/**
 * Scoping (issue 12), on a real kube-apiserver with its audit log:
 * - an operator scoped to two namespaces and a parent label selector lists and watches only those
 *   namespaces (every request of its user, from the audit log, names one of them; none is
 *   cluster-wide), caches only what the scope holds (informer sizes), and syncs only in-scope parents;
 * - a parent that loses the selector label is no longer synced; its children stay as they are (the
 *   operator no longer sees the parent, and the garbage collector deletes children only with their
 *   owner, as with controller-runtime); given the label back, it is synced again;
 * - the generated RBAC for a scope (a Role and RoleBinding per namespace, no ClusterRole) is enough:
 *   the operator runs as the generated ServiceAccount with zero 403s, and that account cannot list
 *   cluster-wide.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, defineOperator, type KubeObject, type SyncRequest } from "../../src/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { isForbidden } from "../../src/kube/errors.js";
import { allObjects, generateManifests } from "../../src/manifests/index.js";
import { createLogger } from "../../src/observability/logger.js";
import { runOperators } from "../../src/runner/run-operators.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, ensureNamespace } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, testCrd, testType } from "./fixtures/crds.js";
import { forbiddenRequests } from "./fixtures/apiserver-metrics.js";
import { serviceAccountKubeConfig } from "./support/service-account.js";
import { waitFor } from "./support/wait.js";

const OPERATOR_USER = "scoped-operator";
const IN = ["in-a", "in-b"];
const OUT = "out-c";
const SELECTOR = "shard=a";
/** Every request of the operator's user, at Metadata level (watches show at ResponseStarted). */
const AUDIT_POLICY = [
  "apiVersion: audit.k8s.io/v1",
  "kind: Policy",
  "omitStages: [RequestReceived]",
  "rules:",
  "- level: Metadata",
  `  users: [${OPERATOR_USER}]`,
  "- level: None",
  "",
].join("\n");

/** A parent `Scoped` gets a ConfigMap `<name>` holding its spec.v; status `{ v }`. */
function scopedOperator(syncs: string[] = []) {
  return defineOperator(new OperatorConfig("scoped", testType("Scoped")).withChild(V1ConfigMap), (req: SyncRequest<KubeObject>) => {
    const { name, namespace } = req.raw.metadata!;
    const v = (req.raw.spec as { v?: string }).v ?? "";
    syncs.push(`${namespace}/${name}=${v}`);
    return SyncResponse.of({ v }).withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { v } });
  });
}

describe("scoping: namespaces and a parent label selector", { timeout: 180_000 }, () => {
  let cp: LocalControlPlane;
  let admin: KubeClient;
  let discovery: Discovery;
  let runtime: OperatorRuntime | undefined;

  const parent = (namespace: string, name: string, shard: string | undefined, v = "1"): KubeObject => ({
    apiVersion: E2E_API_VERSION,
    kind: "Scoped",
    metadata: { name, namespace, ...(shard ? { labels: { shard } } : {}) },
    spec: { v },
  });
  const statusOf = async (namespace: string, name: string) =>
    ((await admin.get(await discovery.resolve(E2E_API_VERSION, "Scoped"), namespace, name))?.status as { v?: string } | undefined)?.v;
  const configMap = async (namespace: string, name: string) => admin.get(await discovery.resolve("v1", "ConfigMap"), namespace, name);

  before(async () => {
    cp = await LocalControlPlane.start({ users: [{ name: OPERATOR_USER }], audit: { policy: AUDIT_POLICY } });
    admin = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(admin);
    await applyManifests(admin, discovery, [testCrd("Scoped")]);
    for (const ns of [...IN, OUT]) await ensureNamespace(admin, discovery, ns);
  });
  after(async () => {
    await runtime?.stop();
    await admin?.close();
    await cp?.stop();
  });

  it("lists, watches, caches and syncs only what is in scope", async () => {
    const type = await discovery.resolve(E2E_API_VERSION, "Scoped");
    const cmType = await discovery.resolve("v1", "ConfigMap");
    // In scope: in-a/p1, in-b/p3. Out: in-a/p2 (other shard), in-a/p0 (no label), out-c/* (other namespace).
    for (const p of [parent("in-a", "p1", "a"), parent("in-a", "p2", "b"), parent("in-a", "p0", undefined), parent("in-b", "p3", "a")])
      await admin.create(type, p);
    for (let i = 0; i < 50; i++) await admin.create(type, parent(OUT, `p-out-${i}`, "a"));
    // Objects that look like children (they carry the tracking label) in the namespace out of scope.
    for (let i = 0; i < 50; i++) {
      await admin.create(cmType, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `cm-out-${i}`, namespace: OUT, labels: { "tsoperator.dev/parent-uid": `u-${i}` } },
      });
    }

    const since = new Date();
    runtime = await runOperators([scopedOperator()], {
      kubeConfig: cp.kubeConfigFor({ user: OPERATOR_USER }),
      namespaces: IN,
      labelSelector: SELECTOR,
      handleSignals: false,
      logger: createLogger({ level: "warn" }),
    });
    await waitFor("p1 and p3 synced", async () => (await statusOf("in-a", "p1")) === "1" && (await statusOf("in-b", "p3")) === "1", {
      timeout: 30_000,
    });
    await runtime.idle();

    // Synced: only the in-scope parents.
    assert.equal(await statusOf("in-a", "p2"), undefined, "another shard");
    assert.equal(await statusOf("in-a", "p0"), undefined, "no label");
    assert.equal(await statusOf(OUT, "p-out-0"), undefined, "another namespace");
    assert.ok(await configMap("in-a", "p1"));
    assert.equal(await configMap("in-a", "p2"), undefined);

    // Cached: one informer per namespace and type, holding only the scope's objects.
    const informers = runtime.state().informers.map((i) => ({ resource: i.resource, namespace: i.namespace, objects: i.objects }));
    assert.deepEqual(informers.map((i) => `${i.resource} in ${i.namespace}`).sort(), [
      "configmaps in in-a",
      "configmaps in in-b",
      "scopeds.e2e.tsoperator.dev in in-a",
      "scopeds.e2e.tsoperator.dev in in-b",
    ]);
    const objects = (resource: string) => informers.filter((i) => i.resource === resource).reduce((n, i) => n + i.objects, 0);
    assert.equal(objects("scopeds.e2e.tsoperator.dev"), 2, "parents cached: p1 and p3 (of 54)");
    assert.equal(objects("configmaps"), 2, "children cached: p1's and p3's (not the 50 labelled ConfigMaps out of scope)");

    // Requested: every list and watch of the operator's user names a namespace of the scope.
    const requests = (await cp.auditEvents(since)).filter((e) => e.user === OPERATOR_USER);
    const reads = requests.filter((e) => e.verb === "list" || e.verb === "watch");
    const outside = reads.filter((e) => !IN.some((ns) => e.requestURI.includes(`/namespaces/${ns}/`)));
    console.log(`scoping: ${requests.length} requests of the operator, ${reads.length} lists/watches, ${outside.length} outside the scope`);
    assert.ok(reads.length >= 4, `at least a list and a watch per informer (got ${reads.length})`);
    assert.deepEqual(
      outside.map((e) => `${e.verb} ${e.requestURI}`),
      [],
      "no cluster-wide or other-namespace list/watch",
    );
    assert.ok(
      reads.filter((e) => e.requestURI.includes("/scopeds")).every((e) => e.requestURI.includes("labelSelector=shard%3Da")),
      "parents are listed and watched with the selector",
    );
    assert.deepEqual(
      requests.filter((e) => e.requestURI.includes(`/namespaces/${OUT}/`)).map((e) => `${e.verb} ${e.requestURI}`),
      [],
      "nothing at all in the namespace out of scope",
    );
  });

  it("a parent that loses the selector label is no longer synced; its children stay; with the label back it is synced", async () => {
    assert.ok(runtime);
    const type = await discovery.resolve(E2E_API_VERSION, "Scoped");
    await admin.patch(type, "in-a", "p1", { metadata: { labels: { shard: null } } }, "merge");
    await waitFor("p1 leaves the cache", () => !runtime!.inspect().parent("in-a", "p1"), { timeout: 30_000 });
    await admin.patch(type, "in-a", "p1", { spec: { v: "2" } }, "merge");
    // A barrier in the same namespace: a later in-scope parent is synced, so p1's change would have been too.
    await admin.create(type, parent("in-a", "p5", "a", "1"));
    await waitFor("p5 synced", async () => (await statusOf("in-a", "p5")) === "1", { timeout: 30_000 });
    await runtime.idle();
    assert.equal(await statusOf("in-a", "p1"), "1", "p1's change is not synced");
    assert.equal(((await configMap("in-a", "p1"))?.data as { v?: string } | undefined)?.v, "1", "p1's child is left as it was");

    await admin.patch(type, "in-a", "p1", { metadata: { labels: { shard: "a" } } }, "merge");
    await waitFor("p1 synced again with its new spec", async () => (await statusOf("in-a", "p1")) === "2", { timeout: 30_000 });
    await waitFor("its child too", async () => ((await configMap("in-a", "p1"))?.data as { v?: string } | undefined)?.v === "2", {
      timeout: 30_000,
    });
    await runtime.stop();
    runtime = undefined;
  });

  it("the generated RBAC for the scope (Roles per namespace) runs the operator with zero 403s", async () => {
    const INSTALL = "scoped-ops";
    const manifests = generateManifests([scopedOperator()], {
      installNamespace: INSTALL,
      watchNamespaces: IN,
      labelSelector: SELECTOR,
      leaderElection: false,
    });
    const roleKinds = manifests.rbac.filter((o) => /Role/.test(o.kind ?? "")).map((o) => `${o.kind}/${o.metadata?.namespace}`);
    assert.deepEqual(roleKinds, ["Role/in-a", "RoleBinding/in-a", "Role/in-b", "RoleBinding/in-b"], "no ClusterRole");
    await applyManifests(
      admin,
      discovery,
      allObjects(manifests).filter((o) => o.kind !== "CustomResourceDefinition"),
      "scoping-e2e",
    );

    const sa = manifests.rbac[0]!.metadata!.name!;
    const kubeConfig = await serviceAccountKubeConfig(cp, admin, INSTALL, sa);
    const saClient = KubeClient.fromKubeConfig(kubeConfig);
    try {
      // The account is really scoped: a cluster-wide list, or one in another namespace, is refused.
      const type = await discovery.resolve(E2E_API_VERSION, "Scoped");
      await assert.rejects(saClient.list(type), (e) => isForbidden(e));
      await assert.rejects(saClient.list(type, { namespace: OUT }), (e) => isForbidden(e));
      const forbiddenBefore = await forbiddenRequests(cp);

      const logLines: string[] = [];
      const { Writable } = await import("node:stream");
      const stream = new Writable({
        write(chunk, _enc, done) {
          logLines.push(...String(chunk).split("\n").filter(Boolean));
          done();
        },
      });
      runtime = await runOperators([scopedOperator()], {
        kubeConfig,
        namespaces: IN,
        labelSelector: SELECTOR,
        handleSignals: false,
        logger: createLogger({ level: "info", format: "json", stream }),
      });
      await admin.patch(type, "in-b", "p3", { spec: { v: "3" } }, "merge");
      await admin.create(type, parent("in-b", "p6", "a", "6"));
      await waitFor(
        "p3 and p6 synced as the ServiceAccount",
        async () => (await statusOf("in-b", "p3")) === "3" && (await statusOf("in-b", "p6")) === "6",
        { timeout: 30_000 },
      );
      await admin.delete(type, "in-b", "p6");
      await waitFor("p6 gone", async () => !(await admin.get(type, "in-b", "p6")), { timeout: 30_000 });
      await runtime.idle();
      assert.deepEqual(
        logLines.filter((l) => /forbidden|\b403\b/i.test(l)),
        [],
      );
      assert.equal((await forbiddenRequests(cp)) - forbiddenBefore, 0, "no request refused by the authorizer");
      assert.equal(runtime.state().controllers[0]?.failed, undefined);
    } finally {
      await runtime?.stop();
      runtime = undefined;
      await saClient.close();
    }
  });
});
