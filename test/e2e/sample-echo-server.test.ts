/**
 * The echo-server sample (what `npm run demo` shows), asserted: EchoServer → a Pod (Recreate) and
 * a Service (Apply), a status that follows the Pod, a finalizer, and a clean delete.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { TRACKING_LABEL } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { EchoServerOperator } from "../../samples/echo-server/echo-server.js";
import { LogCapture } from "./fixtures/log-capture.js";

const crd = fileURLToPath(new URL("../../../samples/echo-server/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";

describe("sample: echo-server", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [EchoServerOperator], logger: logs.logger });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("creates the Pod and the Service, reports the Pod's phase, and adds its finalizer", async () => {
    const parent = await kit.createParent({
      apiVersion: API,
      kind: "EchoServer",
      metadata: { name: "hello" },
      spec: { message: "hi there" },
    });
    const pod = await kit.eventuallyExists("v1", "Pod", "hello");
    const spec = pod.spec as { containers: { image: string; args: string[]; ports: { containerPort: number }[] }[] };
    assert.deepEqual(spec.containers[0]!.args, ["-text=hi there", "-listen=:8080"]); // port defaulted by the CRD schema
    assert.equal(spec.containers[0]!.ports[0]!.containerPort, 8080);
    assert.equal(pod.metadata?.labels?.app, "hello");
    assert.equal(pod.metadata?.labels?.[TRACKING_LABEL], parent.metadata?.uid);
    const service = await kit.eventuallyExists("v1", "Service", "hello");
    assert.deepEqual((service.spec as { selector: unknown }).selector, { app: "hello" });
    assert.deepEqual(
      (service.spec as { ports: { port: number; targetPort: number }[] }).ports.map((p) => [p.port, p.targetPort]),
      [[80, 8080]],
    );
    for (const child of [pod, service]) assert.equal(child.metadata?.ownerReferences?.[0]?.uid, parent.metadata?.uid);

    const echo = await kit.eventuallyMatches(API, "EchoServer", "hello", {
      status: { ready: false, podPhase: "Pending", serviceName: "hello", observedGeneration: 1 },
    });
    assert.deepEqual(echo.metadata?.finalizers, ["tsoperator.dev/echo-server"]);
  });

  it("status follows the Pod: Running makes it ready", async () => {
    // No kubelet runs here: play its part by writing the Pod's status.
    const pods = await kit.resource("v1", "Pod");
    await kit.client.patch(pods, kit.namespace, "hello", { status: { phase: "Running" } }, "merge", { subresource: "status" });
    await kit.eventuallyMatches(API, "EchoServer", "hello", { status: { ready: true, podPhase: "Running" } });
  });

  it("a new message recreates the Pod (Recreate) and a new port updates the Service in place (Apply)", async () => {
    const pod = (await kit.get("v1", "Pod", "hello"))!;
    const service = (await kit.get("v1", "Service", "hello"))!;
    await kit.patch(API, "EchoServer", "hello", { spec: { message: "changed", port: 9090 } });
    const newPod = await kit.eventually(async () => {
      const p = await kit.get("v1", "Pod", "hello");
      assert.ok(p && p.metadata?.uid !== pod.metadata?.uid, "Pod not recreated yet");
      return p;
    });
    assert.deepEqual((newPod.spec as { containers: { args: string[] }[] }).containers[0]!.args, ["-text=changed", "-listen=:9090"]);
    const newService = await kit.eventuallyMatches("v1", "Service", "hello", { spec: { ports: [{ port: 80, targetPort: 9090 }] } });
    assert.equal(newService.metadata?.uid, service.metadata?.uid);
    await kit.eventuallyMatches(API, "EchoServer", "hello", { status: { ready: false, podPhase: "Pending", observedGeneration: 2 } });
  });

  it("deleting the EchoServer runs finalize, removes the finalizer, the parent goes and so do its children", async () => {
    await kit.deleteParent(API, "EchoServer", "hello");
    await kit.eventuallyDeleted(API, "EchoServer", "hello");
    // The garbage collector (TestKit restarted it after installing the CRD, so it knows the kind).
    await kit.eventuallyDeleted("v1", "Service", "hello");
    await kit.eventuallyDeleted("v1", "Pod", "hello");
    assert.equal(kit.errorCount("hello"), 0);
    assert.ok(logs.find({ operator: "echo-server", parent: `${kit.namespace}/hello`, msg: "finalizer removed" }).length > 0);
  });
});
