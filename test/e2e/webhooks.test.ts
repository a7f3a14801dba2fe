/**
 * Admission and conversion webhooks on a real API server: the operator process serves them over
 * HTTPS on loopback (a CA made on the fly), the API server calls them through URL client configs.
 * Validation at create / update / delete with the handler's message and warnings; defaults by JSON
 * patch; CEL rules and schema defaults enforced by the API server itself; a v1 object read as v2
 * and back, a list mixing stored versions, an unknown version refused; a rotated certificate picked
 * up without a restart; failure policies with the server stopped; after an operator restart the
 * stored objects still read in both versions and a sync of the converted type writes nothing.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { connect } from "node:tls";
import { after, before, describe, it } from "node:test";
import { container as rootContainer } from "tsyringe";
import { request } from "undici";
import { Agent } from "undici";
import {
  CustomResource,
  OperatorConfig,
  SyncResponse,
  Validator,
  allowed,
  defineConversion,
  defineDefaulter,
  defineValidator,
  denied,
  type AdmissionContext,
  type CustomValidator,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "../../src/index.js";
import { customResourceOf } from "../../src/api/custom-resource.js";
import { kubernetesTypeOf } from "../../src/core/type-ref.js";
import { crdFor } from "../../src/manifests/crd.js";
import { LocalControlPlane, TestKit, type TestKitOptions } from "../../src/testing/index.js";
import { apiserverRequests, increase, writesTo } from "./fixtures/apiserver-metrics.js";

const GROUP = "e2e.tsoperator.dev";

interface WidgetSpec {
  size: number;
  color?: string;
  tier?: string;
}

/** v2 (the class, the hub, the storage version) has `size`; v1 had `replicas`; v3alpha1 is served but nothing converts it. */
@CustomResource({
  apiVersion: `${GROUP}/v2`,
  kind: "Widget",
  plural: "widgets",
  schema: {
    spec: {
      type: "object",
      properties: { size: { type: "integer" }, color: { type: "string", default: "green" }, tier: { type: "string" } },
      "x-kubernetes-validations": [{ rule: "!has(self.size) || self.size <= 100", message: "size must be at most 100" }],
    },
  },
  versions: [
    {
      name: "v1",
      schema: {
        spec: { type: "object", properties: { replicas: { type: "integer" }, color: { type: "string" }, tier: { type: "string" } } },
      },
    },
    { name: "v3alpha1", schema: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
  ],
})
class Widget {
  metadata!: KubeObject["metadata"];
  spec!: WidgetSpec;
}

/** Injected into the validator: the smallest size allowed. */
class WidgetPolicy {
  constructor(readonly minimumSize: number) {}
}

@Validator({ type: Widget })
class WidgetValidator implements CustomValidator<Widget> {
  constructor(private readonly policy: WidgetPolicy) {}

  validateCreate(obj: Widget) {
    if (obj.spec.color === "explode") throw new Error("the color check crashed");
    if (obj.spec.size < this.policy.minimumSize) return denied(`spec.size must be at least ${this.policy.minimumSize}`);
    return obj.spec.size > 50 ? allowed("a size above 50 is expensive") : allowed();
  }

  validateUpdate(obj: Widget, old: Widget, context: AdmissionContext) {
    if (obj.spec.size < old.spec.size)
      return denied(`spec.size may not shrink (from ${old.spec.size} to ${obj.spec.size}; by ${context.user.username})`);
    return allowed();
  }

  validateDelete(old: Widget) {
    return old.metadata?.labels?.protected === "true" ? denied("widget is protected: remove the label protected first") : allowed();
  }
}

const widgetDefaults = defineDefaulter<Widget>({ type: Widget }, (obj) => {
  obj.spec.tier ??= "standard";
  obj.metadata = { ...obj.metadata, labels: { ...obj.metadata?.labels, "e2e/defaulted": "yes" } };
});

const widgetConversion = defineConversion({
  type: Widget,
  hub: "v2",
  spokes: {
    v1: {
      toHub: (o) => {
        const { replicas, ...rest } = o.spec as { replicas: number };
        return { ...o, spec: { ...rest, size: replicas } };
      },
      fromHub: (h) => {
        const { size, ...rest } = h.spec as WidgetSpec;
        return { ...h, spec: { ...rest, replicas: size } };
      },
    },
  },
});

/** A built-in type with failurePolicy Ignore: no ConfigMap may hold the key "forbidden". */
const configMapRule = defineValidator(
  { type: { apiVersion: "v1", kind: "ConfigMap" }, failurePolicy: "Ignore" },
  {
    validateCreate: (cm) =>
      (cm.data as Record<string, string> | undefined)?.forbidden ? denied("configmap may not hold the key forbidden") : undefined,
  },
);

let syncs = 0;
/** The operator of the converted type: a ConfigMap per Widget, the size in its status. */
const widgetOperator: OperatorDefinition = {
  config: new OperatorConfig("widgets", Widget).withChild({ apiVersion: "v1", kind: "ConfigMap" }),
  handler: (req: SyncRequest<KubeObject>) => {
    syncs++;
    const spec = req.raw.spec as WidgetSpec;
    return SyncResponse.of({ size: spec.size })
      .withChild({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${req.raw.metadata!.name}-widget` },
        data: { size: String(spec.size) },
      })
      .withResyncAfter(300);
  },
};

const widget = (name: string, spec: Record<string, unknown>, version = "v2", labels?: Record<string, string>): KubeObject => ({
  apiVersion: `${GROUP}/${version}`,
  kind: "Widget",
  metadata: { name, ...(labels ? { labels } : {}) },
  spec,
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("the request was admitted");
}

describe("webhooks on a real API server", { timeout: 180_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  let restarted: TestKit | undefined;
  const di = rootContainer.createChildContainer();
  di.register(WidgetPolicy, { useValue: new WidgetPolicy(1) });
  const kitOptions = (): TestKitOptions => ({
    controlPlane: cp,
    operators: [widgetOperator],
    manifests: [crdFor([{ type: kubernetesTypeOf(Widget)!, options: customResourceOf(Widget)! }])],
    webhooks: [WidgetValidator, widgetDefaults, widgetConversion, configMapRule],
    container: di,
    healthPort: 0,
    healthHost: "127.0.0.1",
  });

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start(kitOptions());
    // The API server's webhook configuration cache fills from a watch: wait for the first denial.
    await kit.eventually(async () => assert.match(await refusal(kit.create(widget("probe", { size: 0 }))), /at least 1/));
  });

  after(async () => {
    await restarted?.close();
    await kit?.close();
    await cp?.stop();
  });

  it("refuses an invalid create with the handler's message; a valid one passes with its warning", async () => {
    const message = await refusal(kit.create(widget("too-small", { size: 0 })));
    assert.match(message, /admission webhook "vwidget-v2\.e2e\.tsoperator\.dev" denied the request: spec\.size must be at least 1/);
    // Warnings reach the client as Warning headers (kubectl prints "Warning: ...").
    const agent = new Agent({ connect: { ca: cp.caCert } });
    try {
      const res = await request(`${cp.server}/apis/${GROUP}/v2/namespaces/${kit.namespace}/widgets`, {
        method: "POST",
        dispatcher: agent,
        headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(widget("big", { size: 60 })),
      });
      await res.body.text();
      assert.equal(res.statusCode, 201);
      assert.match(String(res.headers.warning), /a size above 50 is expensive/);
    } finally {
      await agent.close();
    }
    assert.ok(await kit.create(widget("fine", { size: 3 })));
  });

  it("the API server enforces the CEL rule and the schema default of @CustomResource", async () => {
    const message = await refusal(kit.create(widget("huge", { size: 101 })));
    assert.match(message, /size must be at most 100/);
    const created = await kit.create(widget("plain", { size: 2 }));
    assert.equal((created.spec as WidgetSpec).color, "green");
  });

  it("defaults appear, and only what the defaulter changed is changed", async () => {
    const created = await kit.create(widget("defaulted", { size: 4, color: "red" }, "v2", { mine: "kept" }));
    assert.deepEqual(created.spec, { size: 4, color: "red", tier: "standard" });
    assert.deepEqual(created.metadata?.labels, { mine: "kept", "e2e/defaulted": "yes" });
  });

  it("validates an update against the old object", async () => {
    await kit.create(widget("growing", { size: 5 }));
    const message = await refusal(kit.patch(`${GROUP}/v2`, "Widget", "growing", { spec: { size: 4 } }));
    assert.match(message, /spec\.size may not shrink \(from 5 to 4; by admin\)/);
    const grown = await kit.patch(`${GROUP}/v2`, "Widget", "growing", { spec: { size: 6 } });
    assert.equal((grown.spec as WidgetSpec).size, 6);
  });

  it("validates a delete", async () => {
    await kit.create(widget("guarded", { size: 1 }, "v2", { protected: "true" }));
    const type = await kit.resource(`${GROUP}/v2`, "Widget");
    const message = await refusal(kit.client.delete(type, kit.namespace, "guarded"));
    assert.match(message, /widget is protected: remove the label protected first/);
    await kit.patch(`${GROUP}/v2`, "Widget", "guarded", { metadata: { labels: { protected: null } } });
    await kit.delete(`${GROUP}/v2`, "Widget", "guarded");
    await kit.eventuallyDeleted(`${GROUP}/v2`, "Widget", "guarded");
  });

  it("a handler that throws is a clear denial, counted in controller_runtime_webhook_requests_total", async () => {
    const message = await refusal(kit.create(widget("boom", { size: 1, color: "explode" })));
    assert.match(message, /vwidget-v2\.e2e\.tsoperator\.dev: the webhook's handler failed: the color check crashed/);
    const metrics = await kit.runtime.metrics.render();
    assert.match(
      metrics,
      /controller_runtime_webhook_requests_total\{webhook="\/validate-e2e-tsoperator-dev-v2-widget",code="500"\} [1-9]/,
    );
    assert.match(
      metrics,
      /controller_runtime_webhook_requests_total\{webhook="\/validate-e2e-tsoperator-dev-v2-widget",code="403"\} [1-9]/,
    );
    assert.match(metrics, /controller_runtime_webhook_latency_seconds_count\{webhook="\/mutate-e2e-tsoperator-dev-v2-widget"\} [1-9]/);
    assert.match(metrics, /controller_runtime_webhook_requests_total\{webhook="\/convert",code="200"\}/);
    // Readiness includes the webhook server.
    const res = await fetch(`http://127.0.0.1:${kit.runtime.healthPort}/readyz?verbose`);
    const report = (await res.json()) as { checks: Array<{ name: string; ok: boolean }> };
    assert.ok(
      report.checks.some((c) => c.name === "webhook-server" && c.ok),
      JSON.stringify(report),
    );
  });

  it("converts: a v1 object reads as v2 and back; a list mixing stored versions converts; an unknown version is refused", async () => {
    const created = await kit.create(widget("old-style", { replicas: 7 }, "v1"));
    // Admission ran on the v2 form (matchPolicy Equivalent): defaults arrive in v1 too.
    assert.deepEqual(created.spec, { replicas: 7, color: "green", tier: "standard" });
    assert.equal(((await kit.get(`${GROUP}/v2`, "Widget", "old-style"))!.spec as WidgetSpec).size, 7);
    assert.equal(((await kit.get(`${GROUP}/v1`, "Widget", "old-style"))!.spec as { replicas: number }).replicas, 7);

    // Store one object in v1: make v1 the storage version for a moment.
    const crdType = await kit.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    const setStorage = async (version: string) => {
      const crd = (await kit.client.get(crdType, undefined, `widgets.${GROUP}`))!;
      const spec = crd.spec as { versions: Array<{ name: string; storage: boolean }> };
      for (const v of spec.versions) v.storage = v.name === version;
      await kit.client.replace(crdType, crd);
    };
    await setStorage("v1");
    await kit.eventually(async () => {
      await kit.create(widget("stored-v1", { replicas: 8 }, "v1"));
      const crd = (await kit.client.get(crdType, undefined, `widgets.${GROUP}`))!;
      assert.ok(((crd.status as { storedVersions: string[] }).storedVersions ?? []).includes("v1"));
    });
    await setStorage("v2");

    const asV2 = await kit.list(`${GROUP}/v2`, "Widget");
    const sizes = Object.fromEntries(asV2.map((w) => [w.metadata!.name, (w.spec as WidgetSpec).size]));
    assert.equal(sizes["stored-v1"], 8);
    assert.equal(sizes["old-style"], 7);
    assert.ok(asV2.every((w) => w.apiVersion === `${GROUP}/v2` || w.apiVersion === undefined));
    const asV1 = await kit.list(`${GROUP}/v1`, "Widget");
    assert.equal((asV1.find((w) => w.metadata!.name === "fine")!.spec as { replicas: number }).replicas, 3);

    const message = await refusal(kit.get(`${GROUP}/v3alpha1`, "Widget", "old-style"));
    assert.match(message, /version v3alpha1 is not known to this conversion \(it converts v2, v1 through the hub v2\)/);
  });

  it("picks up a certificate rotated on disk without a restart", async () => {
    const serial = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: "127.0.0.1", port: kit.runtime.webhookPort!, ca: kit.webhookCertificates!.caCert, servername: "localhost" },
          () => {
            resolve(socket.getPeerCertificate().serialNumber);
            socket.end();
          },
        );
        socket.once("error", reject);
      });
    const before = await serial();
    await kit.webhookCertificates!.rotate();
    await kit.eventually(async () => assert.notEqual(await serial(), before), { timeout: 10_000 });
    // The API server still trusts it (same CA) and the webhooks still answer.
    assert.match(await refusal(kit.create(widget("after-rotation", { size: 0 }))), /spec\.size must be at least 1/);
    assert.ok(await kit.create(widget("after-rotation", { size: 1 })));
  });

  it("with the webhook server stopped: failurePolicy Fail refuses, Ignore admits", async () => {
    await kit.reconcile();
    await kit.runtime.stop();
    const message = await refusal(kit.create(widget("unchecked", { size: 5 })));
    assert.match(message, /failed calling webhook "mwidget-v2\.e2e\.tsoperator\.dev"|failed calling webhook "vwidget-v2/);
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unchecked" }, data: { forbidden: "yes" } };
    assert.ok(await kit.create(cm), "Ignore admits while the webhook is down");
  });

  it("after an operator restart, stored objects read in both versions and a sync of the converted type writes nothing", async () => {
    syncs = 0;
    restarted = await TestKit.start({ ...kitOptions(), namespace: kit.namespace });
    assert.equal(((await restarted.get(`${GROUP}/v2`, "Widget", "stored-v1"))!.spec as WidgetSpec).size, 8);
    assert.equal(((await restarted.get(`${GROUP}/v1`, "Widget", "old-style"))!.spec as { replicas: number }).replicas, 7);
    await restarted.reconcile();
    await restarted.eventuallyMatches("v1", "ConfigMap", "stored-v1-widget", { data: { size: "8" } });
    await restarted.reconcile();
    const resources = ["widgets", "configmaps"];
    const converged = writesTo(await apiserverRequests(cp), resources);
    const syncsBefore = syncs;
    await new Promise((r) => setTimeout(r, 1500));
    const writes = increase(converged, writesTo(await apiserverRequests(cp), resources));
    assert.ok(syncs > syncsBefore, "resyncs ran meanwhile");
    assert.deepEqual(writes, {});
  });
});
