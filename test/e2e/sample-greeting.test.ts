/**
 * The greeting sample: a service injected into the operator's constructor (from tsyringe's global
 * container) decides the ConfigMap's text and the status.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { Greeting, GreetingOperator } from "../../samples/greeting/greeting.js";
import { LogCapture } from "./fixtures/log-capture.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";

describe("sample: greeting", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [GreetingOperator], logger: logs.logger });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("publishes the injected service's greeting as a ConfigMap and in the status", async () => {
    await kit.createParent({ apiVersion: API, kind: "Greeting", metadata: { name: "ada" }, spec: { name: "Ada", language: "fr" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "ada-greeting", { data: { text: "Bonjour, Ada!" } });
    await kit.eventuallyMatches(API, "Greeting", "ada", { status: { text: "Bonjour, Ada!", observedGeneration: 1 } });
  });

  it("follows spec changes; an unknown language falls back to English", async () => {
    await kit.patch(API, "Greeting", "ada", { spec: { language: "de" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "ada-greeting", { data: { text: "Hallo, Ada!" } });
    await kit.patch(API, "Greeting", "ada", { spec: { language: "xx" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "ada-greeting", { data: { text: "Hello, Ada!" } });
    await kit.eventuallyMatches(API, "Greeting", "ada", { status: { text: "Hello, Ada!", observedGeneration: 3 } });
  });

  it("the SyncRequest holds a Greeting and a V1ConfigMap", async () => {
    await kit.reconcile();
    const req = kit.syncRequest<Greeting>("ada");
    assert.ok(req?.parent instanceof Greeting);
    assert.equal(req.parent.spec.name, "Ada");
    const cm = req.children.ofType(V1ConfigMap).first();
    assert.ok(cm instanceof V1ConfigMap);
    assert.equal(cm.data?.text, "Hello, Ada!");
  });
});
