/**
 * What the runtime writes, counted on the API server itself: a no-op resync makes zero write
 * requests (children and status), and the status goes through /status with observedGeneration,
 * is updated after a spec change, and is not rewritten when unchanged.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap, V1Secret, V1Service } from "@kubernetes/client-node";
import { ChildConfig, OperatorConfig, SyncResponse, type KubeObject, type OperatorDefinition, type SyncRequest } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { apiserverRequests, increase, writesTo } from "./fixtures/apiserver-metrics.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { CallRecorder, sleep } from "./fixtures/recorder.js";

const syncs = new CallRecorder();
const nameOf = (req: SyncRequest<KubeObject>) => req.raw.metadata!.name!;
const specOf = (req: SyncRequest<KubeObject>) => (req.raw.spec ?? {}) as { message?: string; resyncAfterMs?: number };

/**
 * Quiet → a ConfigMap and a Service (Apply: the server adds defaults, protocol, clusterIP ...) and
 * a Secret (Replace), plus a status; resyncs every `spec.resyncAfterMs`.
 */
const quiet: OperatorDefinition = {
  config: new OperatorConfig("quiet", testType("Quiet"))
    .withChild(V1ConfigMap)
    .withChild(V1Service)
    .withChild(V1Secret, ChildConfig.replace()),
  handler: (req: SyncRequest<KubeObject>) => {
    const name = nameOf(req);
    syncs.record(name);
    const spec = specOf(req);
    const response = SyncResponse.of({ phase: "Ready", children: req.children.count?.() ?? 3, message: spec.message })
      .withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { app: name } }, data: { message: spec.message ?? "" } })
      .withChild({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, annotations: { "e2e/owner": "quiet" } },
        spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      })
      .withChild({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name },
        type: "Opaque",
        data: { token: Buffer.from(name).toString("base64") },
      });
    return spec.resyncAfterMs ? response.withResyncAfter(spec.resyncAfterMs) : response;
  },
};

/** Stat: no children; the status echoes the spec. */
const stat: OperatorDefinition = {
  config: new OperatorConfig("stat", testType("Stat")),
  handler: (req: SyncRequest<KubeObject>) => {
    syncs.record(nameOf(req));
    return SyncResponse.of({ message: specOf(req).message, ready: true });
  },
};

/**
 * EchoApply / EchoReplace / EchoRecreate → one ConfigMap `<name>-echo`. The handler edits the child
 * it reads from `req.children` (a typed V1ConfigMap, server-set fields and all) and returns it: the
 * pattern the guides show for changing a child. Resyncs every 200 ms.
 */
const echoBack = (strategy: "apply" | "replace" | "recreate", kind: string, child: ChildConfig): OperatorDefinition => ({
  config: new OperatorConfig(`echo-${strategy}`, testType(kind)).withChild(V1ConfigMap, child),
  handler: (req: SyncRequest<KubeObject>) => {
    const name = nameOf(req);
    syncs.record(name);
    const message = specOf(req).message ?? "";
    const cached = req.children.ofType(V1ConfigMap).first();
    const desired = cached ?? Object.assign(new V1ConfigMap(), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-echo` } });
    desired.data = { ...(desired.data ?? {}), message };
    return SyncResponse.of().withChild(desired).withResyncAfter(200);
  },
});
const ECHO_KINDS = [
  ["apply", "EchoApply", ChildConfig.apply()],
  ["replace", "EchoReplace", ChildConfig.replace()],
  ["recreate", "EchoRecreate", ChildConfig.recreate()],
] as const;

describe("writes, counted by the API server", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: [testCrd("Quiet"), testCrd("Stat"), ...ECHO_KINDS.map(([, kind]) => testCrd(kind))],
      operators: [quiet, stat, ...ECHO_KINDS.map(([strategy, kind, child]) => echoBack(strategy, kind, child))],
      logger: logs.logger,
    });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("a no-op resync makes zero write requests for children and status", async () => {
    const resources = ["configmaps", "services", "secrets", "quiets"];
    const atStart = writesTo(await apiserverRequests(cp), resources);
    await kit.createParent(parentOf("Quiet", "calm", { message: "hi", resyncAfterMs: 200 }));
    await kit.eventuallyExists("v1", "Secret", "calm");
    await kit.eventuallyExists("v1", "Service", "calm");
    // The first sync may see no children yet (status children 0) and the next one writes 3: wait for that.
    await kit.eventuallyMatches(E2E_API_VERSION, "Quiet", "calm", { status: { phase: "Ready", children: 3, observedGeneration: 1 } });
    // Converged: let the follow-up events of our own writes pass, then count.
    await sleep(600);
    const converged = writesTo(await apiserverRequests(cp), resources);
    // The counter does see our writes (so a zero below means something).
    const initialWrites = increase(atStart, converged);
    assert.ok(
      (initialWrites["POST configmaps"] ?? 0) + (initialWrites["APPLY configmaps"] ?? 0) + (initialWrites["PATCH configmaps"] ?? 0) >= 1,
      JSON.stringify(initialWrites),
    );
    assert.ok((initialWrites["APPLY quiets/status"] ?? initialWrites["PATCH quiets/status"] ?? 0) >= 1, JSON.stringify(initialWrites));

    const callsBefore = syncs.count("calm");
    await sleep(2_000);
    const callsDuring = syncs.count("calm") - callsBefore;
    const writes = increase(converged, writesTo(await apiserverRequests(cp), resources));
    assert.ok(callsDuring >= 5, `the handler ran ${callsDuring} times in 2 s with resyncAfter 200 ms`);
    assert.deepEqual(writes, {}, `write requests during ${callsDuring} no-op resyncs`);

    // ... and a real change is written (the check above is not blind).
    await kit.patch(E2E_API_VERSION, "Quiet", "calm", { spec: { message: "changed" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "calm", { data: { message: "changed" } });
    await kit.deleteParent(E2E_API_VERSION, "Quiet", "calm");
  });

  it("status goes through /status with observedGeneration, follows spec changes, and is not rewritten when unchanged", async () => {
    await kit.createParent(parentOf("Stat", "st", { message: "one" }));
    const first = await kit.eventuallyMatches(E2E_API_VERSION, "Stat", "st", {
      status: { message: "one", ready: true, observedGeneration: 1 },
    });
    const statusEntry = first.metadata?.managedFields?.find((f) => f.manager === "stat");
    assert.equal(statusEntry?.subresource, "status", "the status was not written through the status subresource");

    const patched = await kit.patch(E2E_API_VERSION, "Stat", "st", { spec: { message: "two" } });
    assert.equal(patched.metadata?.generation, 2);
    await kit.eventuallyMatches(E2E_API_VERSION, "Stat", "st", { status: { message: "two", observedGeneration: 2 } });
    await kit.reconcile();

    // A metadata change triggers a sync whose status is unchanged: the parent must not be written.
    const before = syncs.count("st");
    const labelled = await kit.patch(E2E_API_VERSION, "Stat", "st", { metadata: { labels: { touched: "yes" } } });
    await kit.eventually(() => assert.ok(syncs.count("st") > before, "no sync after the label change"));
    await kit.reconcile();
    const now = await kit.get(E2E_API_VERSION, "Stat", "st");
    assert.equal(now?.metadata?.resourceVersion, labelled.metadata?.resourceVersion, "the unchanged status was written again");
  });

  for (const [strategy, kind] of ECHO_KINDS) {
    it(`${strategy}: a handler that edits and returns the cached child converges, then writes nothing`, async () => {
      const name = `echo-${strategy}`;
      await kit.createParent(parentOf(kind, name, { message: "one" }));
      await kit.eventuallyMatches("v1", "ConfigMap", `${name}-echo`, { data: { message: "one" } }, undefined, { timeout: 10_000 });
      await kit.patch(E2E_API_VERSION, kind, name, { spec: { message: "two" } });
      const changed = await kit.eventuallyMatches("v1", "ConfigMap", `${name}-echo`, { data: { message: "two" } }, undefined, {
        timeout: 10_000,
      });
      await sleep(800);
      const converged = writesTo(await apiserverRequests(cp), ["configmaps"]);
      const callsBefore = syncs.count(name);
      await sleep(1_500);
      const writes = increase(converged, writesTo(await apiserverRequests(cp), ["configmaps"]));
      assert.ok(syncs.count(name) - callsBefore >= 3, "the handler did not resync");
      assert.deepEqual(writes, {}, "write requests during no-op resyncs");
      const now = await kit.get("v1", "ConfigMap", `${name}-echo`);
      if (strategy !== "recreate") assert.equal(now?.metadata?.uid, changed.metadata?.uid);
      await kit.deleteParent(E2E_API_VERSION, kind, name);
    });
  }
});
