/**
 * The generated RBAC is proven, not assumed: the sample operators run as a ServiceAccount that
 * holds exactly the rules `generateManifests` wrote (a token from the TokenRequest API), through
 * create, update, child pruning, failures recorded as Events, leader election and delete with
 * finalizer — and the temp-namespace sample, whose handler deletes its own parent through its own
 * client under the extra rule it declares (`withRbac`), and the database-credentials sample, which
 * lists and watches label-selected Secrets as a related type (get/list/watch only). Any 403 — in the operators' logs, their error counts, or the apiserver's own
 * `authorization_attempts_total` (every result but "allowed") — fails the test. The generated objects, Deployment
 * included, are also sent with `dryRun=All` first: the apiserver accepts them as written.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { V1ConfigMap, V1ResourceQuota, V1Secret, V1ServiceAccount, type V1ObjectMeta } from "@kubernetes/client-node";
import {
  Finalize,
  FinalizeResponse,
  KubernetesType,
  Operator,
  Sync,
  SyncResponse,
  UpdateStrategy,
  compileOperator,
  type SyncRequest,
} from "../../src/api/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { isForbidden } from "../../src/kube/errors.js";
import type { KubeObject } from "../../src/core/kube-object.js";
import { allObjects, CustomResource, generateManifests } from "../../src/manifests/index.js";
import { createLogger } from "../../src/observability/logger.js";
import type { OperatorRuntime } from "../../src/runner/operator-runtime.js";
import { runOperators } from "../../src/runner/run-operators.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests } from "../../src/testing/manifests.js";
import { EchoServerOperator } from "../../samples/echo-server/echo-server.js";
import { tempNamespaceOperator } from "../../samples/temp-namespace/temp-namespace.js";
import { CREDENTIALS_LABEL, DatabaseCredentialsOperator } from "../../samples/database-credentials/database-credentials.js";
import { forbiddenRequests } from "./fixtures/apiserver-metrics.js";
import { serviceAccountKubeConfig } from "./support/service-account.js";
import { type WaitOptions, waitFor } from "./support/wait.js";

/** A parent whose children cover the strategies echo-server does not: Replace, OnDelete, Apply with pruning. */
@CustomResource({
  schema: {
    spec: {
      type: "object",
      properties: { text: { type: "string" }, withAccount: { type: "boolean" }, fail: { type: "boolean" } },
    },
    status: { type: "object", properties: { text: { type: "string" } } },
  },
  printerColumns: [{ name: "Text", type: "string", jsonPath: ".spec.text" }],
})
@KubernetesType({ apiVersion: "rbac.tsoperator.dev/v1", kind: "Bundle", plural: "bundles", namespaced: true })
class Bundle {
  metadata!: V1ObjectMeta;
  spec!: { text: string; withAccount?: boolean; fail?: boolean };
}

@Operator({
  name: "bundle",
  parent: Bundle,
  children: [
    { type: V1ConfigMap, update: UpdateStrategy.Replace },
    { type: V1Secret, update: UpdateStrategy.OnDelete },
    { type: V1ServiceAccount },
  ],
  // A type only read (nothing else in this test grants resourcequotas): its list+watch needs the related rule.
  related: [{ type: V1ResourceQuota, names: (b: Bundle) => `${b.metadata.name}-quota` }],
})
class BundleOperator {
  @Sync()
  sync(req: SyncRequest<Bundle>): SyncResponse {
    const { text, withAccount, fail } = req.parent.spec;
    if (fail) throw new Error("asked to fail");
    const name = req.parent.metadata.name!;
    let response = SyncResponse.of({ text })
      .withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { text } })
      .withChild({ apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: { text } });
    if (withAccount) response = response.withChild({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name } });
    return response;
  }

  @Finalize()
  finalize(): FinalizeResponse {
    return FinalizeResponse.done();
  }
}

const INSTALL_NS = "operators";
const NS = "rbac-e2e";

describe("generated RBAC on a real API server", { timeout: 180_000 }, () => {
  let cp: LocalControlPlane;
  let admin: KubeClient;
  let discovery: Discovery;
  let runtime: OperatorRuntime | undefined;
  let saClient: KubeClient;
  const logLines: string[] = [];
  const operators = [EchoServerOperator, BundleOperator, DatabaseCredentialsOperator];
  // The temp-namespace handler's own client is given the ServiceAccount's kubeconfig once it exists.
  const manifests = generateManifests(
    [...operators, tempNamespaceOperator()].map((o) => compileOperator(o)),
    {
      installNamespace: INSTALL_NS,
      deployment: { image: "example.com/operators:1", modulePath: "dist/operators.js" },
    },
  );
  const saName = manifests.rbac[0]!.metadata!.name!;

  const resource = (obj: KubeObject) => discovery.resolve(obj.apiVersion!, obj.kind!);
  const get = async (apiVersion: string, kind: string, name: string) => admin.get(await discovery.resolve(apiVersion, kind), NS, name);
  /** The operators answer within 30 s; a timeout shows the operator log's tail. */
  const waitOptions: WaitOptions = {
    timeout: 30_000,
    interval: 100,
    detail: () =>
      `operator log:\n${logLines
        .slice(-5)
        .map((l) => l.slice(0, 400))
        .join("\n")}`,
  };

  before(async () => {
    cp = await LocalControlPlane.start();
    admin = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(admin);
  });

  after(async () => {
    await runtime?.stop();
    await saClient?.close();
    await admin?.close();
    await cp?.stop();
  });

  it("the apiserver accepts every generated object (dryRun=All), then they are applied", async () => {
    await applyManifests(admin, discovery, [manifests.namespace!], "rbac-e2e");
    for (const obj of allObjects(manifests)) {
      if (obj.kind === "Namespace") continue;
      await admin.apply(await resource(obj), obj, { fieldManager: "rbac-e2e", force: true, dryRun: true });
    }
    // Everything but the Deployment: its image does not exist, the operators run in this process.
    await applyManifests(
      admin,
      discovery,
      allObjects(manifests).filter((o) => o.kind !== "Deployment"),
      "rbac-e2e",
    );
    await applyManifests(admin, discovery, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }], "rbac-e2e");
  });

  it("the operators run as the ServiceAccount through create, update, prune, events and delete without a Forbidden", async () => {
    const kubeConfig = await serviceAccountKubeConfig(cp, admin, INSTALL_NS, saName);

    // The token is the ServiceAccount's, not an admin's: a write outside the rules is refused.
    saClient = KubeClient.fromKubeConfig(kubeConfig);
    // (Not a Namespace: the temp-namespace operator may create those.)
    await assert.rejects(saClient.create(await discovery.resolve("v1", "PersistentVolume"), { metadata: { name: "not-allowed" } }), (e) =>
      isForbidden(e),
    );
    const forbiddenBefore = await forbiddenRequests(cp);
    assert.ok(forbiddenBefore >= 1, "the refused request above shows in authorization_attempts_total");

    const stream = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split("\n").filter(Boolean));
        if (process.env.TSOPERATOR_TEST_LOGS) process.stderr.write(chunk);
        done();
      },
    });
    runtime = await runOperators([...operators, tempNamespaceOperator(kubeConfig)], {
      kubeConfig,
      handleSignals: false,
      logger: createLogger({ level: "info", format: "json", stream }),
      leaderElection: { namespace: INSTALL_NS, retryPeriodSeconds: 1 },
    });
    await waitFor("the lease", async () => runtime!.state().leading, waitOptions);

    // echo-server: Pod (Recreate) + Service (Apply), status, finalizer.
    const echoType = await discovery.resolve("samples.tsoperator.dev/v1", "EchoServer");
    await admin.create(echoType, { metadata: { name: "hello", namespace: NS }, spec: { message: "one", port: 8080 } });
    await waitFor("Pod and Service", async () => (await get("v1", "Pod", "hello")) && (await get("v1", "Service", "hello")), waitOptions);
    await waitFor(
      "echo status",
      async () => ((await admin.get(echoType, NS, "hello"))?.status as any)?.observedGeneration === 1,
      waitOptions,
    );
    await admin.patch(echoType, NS, "hello", { spec: { message: "two" } }, "merge");
    let pod: KubeObject | undefined;
    await waitFor(
      "the Pod recreated with the new message",
      async () => {
        pod = await get("v1", "Pod", "hello");
        return (pod?.spec as any)?.containers?.[0]?.args?.[0] === "-text=two" && !pod?.metadata?.deletionTimestamp;
      },
      waitOptions,
    ).catch((e) => Promise.reject(new Error(`${e.message}\npod: ${JSON.stringify(pod)}`)));

    // bundle: ConfigMap (Replace), Secret (OnDelete), ServiceAccount (Apply, pruned when dropped).
    const bundleType = await discovery.resolve("rbac.tsoperator.dev/v1", "Bundle");
    await admin.create(bundleType, { metadata: { name: "b", namespace: NS }, spec: { text: "one", withAccount: true } });
    await waitFor(
      "bundle children",
      async () => (await get("v1", "ConfigMap", "b")) && (await get("v1", "Secret", "b")) && (await get("v1", "ServiceAccount", "b")),
      waitOptions,
    );
    await admin.patch(bundleType, NS, "b", { spec: { text: "two", withAccount: false } }, "merge");
    await waitFor(
      "ConfigMap replaced, ServiceAccount pruned",
      async () => ((await get("v1", "ConfigMap", "b"))?.data as any)?.text === "two" && !(await get("v1", "ServiceAccount", "b")),
      waitOptions,
    );
    await waitFor("bundle status", async () => ((await admin.get(bundleType, NS, "b"))?.status as any)?.text === "two", waitOptions);

    // A failing parent: the Event is created, then aggregated with a patch.
    await admin.create(bundleType, { metadata: { name: "broken", namespace: NS }, spec: { text: "x", fail: true } });
    const eventType = await discovery.resolve("v1", "Event");
    await waitFor(
      "an aggregated Event",
      async () => {
        const { items } = await admin.list(eventType, { namespace: NS });
        return items.some((e) => (e.involvedObject as any)?.name === "broken" && Number(e.count) >= 2);
      },
      waitOptions,
    );

    // temp-namespace: a cluster-scoped parent owning a Namespace, which deletes itself (its own API call).
    const tempType = await discovery.resolve("samples.tsoperator.dev/v1", "TempNamespace");
    await admin.create(tempType, { metadata: { name: "rbac-temp" }, spec: { deleteAfterSeconds: 2 } });
    await waitFor(
      "the temp namespace",
      async () => admin.get(await discovery.resolve("v1", "Namespace"), undefined, "rbac-temp"),
      waitOptions,
    );
    await waitFor(
      "the TempNamespace deleted by its own handler",
      async () => !(await admin.get(tempType, undefined, "rbac-temp")),
      waitOptions,
    );

    // database-credentials: a related Secret (read through a label-selected list+watch), rotated.
    const secretType = await discovery.resolve("v1", "Secret");
    const b64 = (v: string) => Buffer.from(v).toString("base64");
    await admin.create(secretType, {
      metadata: { name: "creds", namespace: NS, labels: { [CREDENTIALS_LABEL]: "true" } },
      data: { username: b64("app"), password: b64("one") },
    });
    const dbType = await discovery.resolve("samples.tsoperator.dev/v1", "Database");
    await admin.create(dbType, { metadata: { name: "orders", namespace: NS }, spec: { host: "db", credentialsSecret: "creds" } });
    const connectionUrl = async () =>
      Buffer.from(
        String(((await get("v1", "Secret", "orders-connection"))?.data as { url?: string } | undefined)?.url ?? ""),
        "base64",
      ).toString();
    await waitFor("the connection Secret", async () => (await connectionUrl()) === "postgres://app:one@db/app", waitOptions);
    await admin.patch(secretType, NS, "creds", { data: { password: b64("two") } }, "merge");
    await waitFor(
      "the connection Secret after the rotation",
      async () => (await connectionUrl()) === "postgres://app:two@db/app",
      waitOptions,
    );
    await admin.delete(dbType, NS, "orders");

    // Delete with finalizers.
    for (const [type, name] of [
      [echoType, "hello"],
      [bundleType, "b"],
      [bundleType, "broken"],
    ] as const) {
      await admin.delete(type, NS, name);
      await waitFor(`${name} deleted`, async () => !(await admin.get(type, NS, name)), waitOptions);
    }

    const forbiddenLogs = logLines.filter((l) => /forbidden|\b403\b/i.test(l));
    assert.deepEqual(forbiddenLogs, []);
    const { items: events } = await admin.list(eventType, { namespace: NS });
    assert.deepEqual(
      events.filter((e) => /forbidden/i.test(String(e.message))).map((e) => e.message),
      [],
    );
    assert.equal(await forbiddenRequests(cp), forbiddenBefore, "no request of the operators was refused");
    const errorCounts = runtime.operatorNames.map((name) => {
      const op = runtime!.inspect(name);
      return [name, op.errorCount(NS, "hello") + op.errorCount(NS, "b")];
    });
    assert.deepEqual(
      errorCounts,
      [
        ["echo-server", 0],
        ["bundle", 0],
        ["database-credentials", 0],
        ["temp-namespace", 0],
      ],
      "only the parent asked to fail ever failed",
    );
    assert.equal(runtime.inspect("temp-namespace").errorCount(undefined, "rbac-temp"), 0, "the self-delete was allowed at the first try");
  });
});
