/**
 * The web-app sample: its validator (with an injected policy), defaulter and v1/v2 conversion,
 * served by the operator process to a real API server, plus the CEL rule of its CRD.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { WebAppOperator, webhooks } from "../../samples/web-app/web-app.js";

const crd = fileURLToPath(new URL("../../../samples/web-app/crd.yaml", import.meta.url));
const V2 = "samples.tsoperator.dev/v2";
const V1 = "samples.tsoperator.dev/v1";

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("the request was admitted");
}

describe("sample: web-app", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const app = (name: string, spec: Record<string, unknown>, apiVersion = V2) => ({ apiVersion, kind: "WebApp", metadata: { name }, spec });

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [WebAppOperator], webhooks });
    await kit.eventually(async () => assert.match(await refusal(kit.create(app("probe", { image: "nginx" }))), /must name a tag/));
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("refuses an image without a tag with the validator's message", async () => {
    const message = await refusal(kit.create(app("untagged", { image: "nginx" })));
    assert.match(message, /denied the request: spec\.image "nginx" must name a tag or a digest/);
    assert.match(await refusal(kit.create(app("elsewhere", { image: "evil.example.com/app:1" }))), /not from an allowed registry/);
  });

  it("defaults replicas and port, and the operator makes the Deployment from them", async () => {
    const created = await kit.create(app("shop", { image: "nginx:1.27" }));
    assert.deepEqual(created.spec, { image: "nginx:1.27", replicas: 1, port: 8080 });
    await kit.eventuallyMatches("apps/v1", "Deployment", "shop", { spec: { replicas: 1 } });
    await kit.eventuallyMatches("v1", "Service", "shop", { spec: { ports: [{ port: 80, targetPort: 8080 }] } });
  });

  it("refuses a port change on update, and a port the CEL rule forbids", async () => {
    assert.match(await refusal(kit.patch(V2, "WebApp", "shop", { spec: { port: 9090 } })), /spec\.port cannot change \(8080 → 9090\)/);
    assert.match(await refusal(kit.create(app("low", { image: "nginx:1.27", port: 80 }))), /spec\.port must be 1024-65535/);
  });

  it("serves v1 (instances) and v2 (replicas) of the same object", async () => {
    await kit.create(app("legacy", { image: "nginx:1.27", instances: 3 }, V1));
    const v2 = await kit.get(V2, "WebApp", "legacy");
    assert.deepEqual(v2?.spec, { image: "nginx:1.27", replicas: 3, port: 8080 });
    const v1 = await kit.get(V1, "WebApp", "legacy");
    assert.deepEqual(v1?.spec, { image: "nginx:1.27", instances: 3, port: 8080 });
    await kit.eventuallyMatches("apps/v1", "Deployment", "legacy", { spec: { replicas: 3 } });
    await kit.reconcile();
  });
});
