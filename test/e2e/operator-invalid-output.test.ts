/**
 * Every way a handler can fail: invalid children (no name, another namespace, an unregistered
 * type, no apiVersion/kind, not an object), a throw, a rejection and a hang past the timeout.
 * Each is counted, logged with the parent key, recorded as a Warning Event on the parent, retried,
 * writes nothing (existing children untouched) and leaves the operator's other parents alone.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, type KubeObject, type OperatorDefinition, type SyncRequest } from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

const TIMEOUT_MS = 300;

/** What the handler returns for each `spec.mode`. */
function respond(name: string, mode: string, message: string): Promise<SyncResponse> | SyncResponse {
  const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-cm` }, data: { message } };
  switch (mode) {
    case "ok":
      return SyncResponse.of({ mode }).withChild(cm);
    case "noName":
      return SyncResponse.of({ mode })
        .withChild(cm)
        .withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: {}, data: { a: "b" } });
    case "otherNamespace":
      return SyncResponse.of({ mode }).withChild({ ...cm, metadata: { name: `${name}-cm`, namespace: "default" } });
    case "unregistered":
      return SyncResponse.of({ mode })
        .withChild(cm)
        .withChild({ apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-secret` } });
    case "noApiVersionKind":
      return SyncResponse.of({ mode })
        .withChild(cm)
        .withChild({ metadata: { name: `${name}-x` }, data: {} });
    case "notAnObject":
      return SyncResponse.of({ mode })
        .withChild(cm)
        .withChild("a string" as unknown as object);
    case "throw":
      throw new Error(`boom in ${name}`);
    case "reject":
      return Promise.reject(new Error(`rejected in ${name}`));
    case "hang":
      // Ignores the signal and returns long after the timeout: its late answer is discarded, and
      // the retry starts only once it returned (one call per parent at a time). A call that never
      // returns would keep its parent waiting for good (docs/sync-model.md).
      return new Promise<SyncResponse>((resolve) => setTimeout(() => resolve(SyncResponse.of({ mode: "late" })), 3 * TIMEOUT_MS));
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

const picky: OperatorDefinition = {
  config: new OperatorConfig("picky", testType("Picky"))
    .withChild(V1ConfigMap)
    .withHandlerTimeout(TIMEOUT_MS)
    .withBackoff({ initialDelayMs: 100, multiplier: 2, jitter: 0, maxDelayMs: 2_000 }),
  handler: (req: SyncRequest<KubeObject>) => {
    const spec = (req.raw.spec ?? {}) as { mode?: string; message?: string };
    return respond(req.raw.metadata!.name!, spec.mode ?? "ok", spec.message ?? "");
  },
};

const cases: { mode: string; reason: string; message: RegExp }[] = [
  { mode: "noName", reason: "InvalidChild", message: /metadata\.name/ },
  { mode: "otherNamespace", reason: "InvalidChild", message: /namespace "default"/ },
  { mode: "unregistered", reason: "InvalidChild", message: /v1 Secret is not a child type/ },
  { mode: "noApiVersionKind", reason: "InvalidChild", message: /apiVersion/ },
  { mode: "notAnObject", reason: "InvalidChild", message: /not an object/ },
  { mode: "throw", reason: "SyncFailed", message: /boom in throw-p/ },
  { mode: "reject", reason: "SyncFailed", message: /rejected in reject-p/ },
  { mode: "hang", reason: "HandlerTimeout", message: new RegExp(`within ${TIMEOUT_MS} ms`) },
];

describe("invalid handler output and failing handlers", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();
  const initial = new Map<string, KubeObject>();
  let steadyTicks = 0;

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({ controlPlane: cp, manifests: [testCrd("Picky")], operators: [picky], logger: logs.logger });
    // A healthy parent per case, plus one that stays healthy throughout.
    const names = [...cases.map((c) => `${c.mode.toLowerCase()}-p`), "steady"];
    await Promise.all(names.map((n) => kit.createParent(parentOf("Picky", n, { mode: "ok", message: "v1" }))));
    for (const n of names) initial.set(n, await kit.eventuallyMatches("v1", "ConfigMap", `${n}-cm`, { data: { message: "v1" } }));
    await kit.reconcile();
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  for (const c of cases) {
    it(`${c.mode}: counted, ${c.reason} Event, nothing written, others unaffected`, async () => {
      const name = `${c.mode.toLowerCase()}-p`;
      await kit.patch(E2E_API_VERSION, "Picky", name, { spec: { mode: c.mode, message: "v2" } });

      // Retried with backoff: the error count keeps growing.
      await kit.eventually(() => assert.ok(kit.errorCount(name) >= 2, `errorCount ${kit.errorCount(name)}`), { timeout: 10_000 });
      const event = await kit.eventually(async () => {
        const found = (await kit.events(name)).find((e) => e.type === "Warning" && e.reason === c.reason);
        assert.ok(found, `no ${c.reason} Event on ${name}: ${JSON.stringify((await kit.events(name)).map((e) => e.reason))}`);
        return found;
      });
      assert.match(String(event.message), c.message);
      assert.ok(
        logs.find({ operator: "picky", parent: `${kit.namespace}/${name}`, reason: c.reason }).length > 0,
        "no log line with the parent key",
      );

      // Another parent of the same operator still reconciles.
      steadyTicks++;
      await kit.patch(E2E_API_VERSION, "Picky", "steady", { spec: { message: `tick-${steadyTicks}` } });
      await kit.eventuallyMatches("v1", "ConfigMap", "steady-cm", { data: { message: `tick-${steadyTicks}` } });
      assert.equal(kit.errorCount("steady"), 0);

      // Nothing was written for the failing parent: its child is exactly as before, and no stray objects.
      const child = await kit.get("v1", "ConfigMap", `${name}-cm`);
      assert.equal(child?.metadata?.resourceVersion, initial.get(name)?.metadata?.resourceVersion, "the existing child was touched");
      assert.equal(await kit.get("v1", "Secret", `${name}-secret`), undefined);
      assert.equal(await kit.get("v1", "ConfigMap", `${name}-cm`, "default"), undefined);
      const status = (await kit.get(E2E_API_VERSION, "Picky", name))?.status as { mode?: string } | undefined;
      assert.equal(status?.mode, "ok", "the status of the failed sync was written");

      // Fixing the output heals the parent.
      await kit.patch(E2E_API_VERSION, "Picky", name, { spec: { mode: "ok" } });
      await kit.eventuallyMatches("v1", "ConfigMap", `${name}-cm`, { data: { message: "v2" } }, undefined, { timeout: 10_000 });
    });
  }
});
