import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { K8sType } from "../../../src/core/k8s-type.js";
import type { KubeObject } from "../../../src/core/kube-object.js";
import { allowed, denied } from "../../../src/webhook/admission.js";
import { reviewAdmission } from "../../../src/webhook/admission-review.js";
import { reviewConversion } from "../../../src/webhook/conversion-review.js";
import {
  Defaulter,
  Validator,
  defineConversion,
  defineDefaulter,
  defineValidator,
  webhookSpecOf,
  webhookSpecsOf,
  type AdmissionWebhookSpec,
  type ConversionOptions,
} from "../../../src/webhook/definitions.js";

const Widget = K8sType.of("example.com/v1", "Widget", { plural: "widgets" });

function review(operation: string, object?: KubeObject, oldObject?: KubeObject) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u-1",
      kind: { group: "example.com", version: "v1", kind: "Widget" },
      resource: { group: "example.com", version: "v1", resource: "widgets" },
      operation,
      userInfo: { username: "alice" },
      object: object ?? null,
      oldObject: oldObject ?? null,
    },
  };
}

const widget = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w" },
  spec,
});

describe("webhook definitions", () => {
  it("default names, paths and operations follow kubebuilder; a validator registers the operations it implements", () => {
    const v = defineValidator({ type: Widget }, { validateCreate: () => allowed(), validateDelete: () => allowed() });
    assert.deepEqual(webhookSpecOf(v), {
      kind: "validating",
      name: "vwidget-v1.example.com",
      path: "/validate-example-com-v1-widget",
      type: Widget,
      operations: ["CREATE", "DELETE"],
      failurePolicy: "Fail",
      timeoutSeconds: 10,
    });
    const core = defineDefaulter({ type: K8sType.of("v1", "ConfigMap") }, () => undefined);
    const spec = webhookSpecOf(core) as AdmissionWebhookSpec;
    assert.equal(spec.name, "mconfigmap-v1.core.tsoperator.dev");
    assert.equal(spec.path, "/mutate-core-v1-configmap");
    assert.deepEqual(spec.operations, ["CREATE", "UPDATE"]);
  });

  it("decorated classes compile to the same specs; a class without the decorator is refused with the fix", () => {
    @Validator({ type: Widget, failurePolicy: "Ignore" })
    class WidgetValidator {
      validateUpdate() {
        return allowed();
      }
    }
    @Defaulter({ type: Widget })
    class WidgetDefaulter {
      default(obj: KubeObject) {
        return obj;
      }
    }
    const [v, d] = webhookSpecsOf([WidgetValidator, WidgetDefaulter]) as AdmissionWebhookSpec[];
    assert.deepEqual([v!.kind, v!.operations, v!.failurePolicy], ["validating", ["UPDATE"], "Ignore"]);
    assert.equal(d!.kind, "mutating");
    class Plain {}
    assert.throws(() => webhookSpecOf(Plain), /decorate the class with @Validator/);
  });

  it("two webhooks on one path and a validator with no method are errors", () => {
    const a = defineValidator({ type: Widget }, { validateCreate: () => undefined });
    assert.throws(() => webhookSpecsOf([a, a]), /two webhooks are served on \/validate-example-com-v1-widget/);
    assert.throws(() => defineValidator({ type: Widget }, {}), /nothing to register/);
    assert.throws(
      () => defineConversion({ type: Widget, hub: "v1", spokes: { v1: { toHub: (o) => o, fromHub: (o) => o } } }),
      /hub version v1/,
    );
  });
});

describe("reviewAdmission", () => {
  const validator = defineValidator(
    { type: Widget },
    {
      validateCreate: (obj: KubeObject) =>
        (obj.spec as { size?: number }).size! > 10
          ? denied("spec.size must be at most 10", { warnings: ["size is large"] })
          : allowed("looks fine"),
      validateUpdate: (obj: KubeObject, old: KubeObject) =>
        (obj.spec as { size: number }).size < (old.spec as { size: number }).size
          ? denied("spec.size may not shrink", { code: 422 })
          : undefined,
      validateDelete: (old: KubeObject) => (old.metadata?.labels?.protected ? denied("protected") : undefined),
    },
  );
  const spec = webhookSpecOf(validator) as AdmissionWebhookSpec;
  const handler = validator.handler as never;

  it("allows with warnings, denies with the handler's message and code, echoing the uid", async () => {
    const ok = await reviewAdmission(review("CREATE", widget({ size: 1 })), spec, handler);
    assert.deepEqual(ok.review, {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u-1", allowed: true, warnings: ["looks fine"] },
    });
    const no = await reviewAdmission(review("CREATE", widget({ size: 11 })), spec, handler);
    assert.equal(no.code, 403);
    assert.deepEqual(no.review.response, {
      uid: "u-1",
      allowed: false,
      status: { code: 403, message: "spec.size must be at most 10", reason: "Forbidden" },
      warnings: ["size is large"],
    });
  });

  it("passes the old object on update and on delete", async () => {
    const shrink = await reviewAdmission(review("UPDATE", widget({ size: 1 }), widget({ size: 2 })), spec, handler);
    assert.equal(shrink.review.response.status?.message, "spec.size may not shrink");
    assert.equal(shrink.code, 422);
    const grow = await reviewAdmission(review("UPDATE", widget({ size: 3 }), widget({ size: 2 })), spec, handler);
    assert.equal(grow.review.response.allowed, true);
    const protectedOne = { ...widget({}), metadata: { name: "w", labels: { protected: "yes" } } };
    const del = await reviewAdmission(review("DELETE", undefined, protectedOne), spec, handler);
    assert.equal(del.review.response.status?.message, "protected");
  });

  it("a handler that throws is a denial naming the webhook (code 500), with the error kept for the log", async () => {
    const failing = defineValidator(
      { type: Widget },
      {
        validateCreate: () => {
          throw new Error("database down");
        },
      },
    );
    const outcome = await reviewAdmission(
      review("CREATE", widget({})),
      webhookSpecOf(failing) as AdmissionWebhookSpec,
      failing.handler as never,
    );
    assert.equal(outcome.code, 500);
    assert.equal(outcome.review.response.allowed, false);
    assert.equal(outcome.review.response.status?.message, "vwidget-v1.example.com: the webhook's handler failed: database down");
    assert.ok(outcome.error instanceof Error);
  });

  it("a defaulter answers the JSON patch of what it changed (in place or returned), none when nothing changed", async () => {
    const inPlace = defineDefaulter({ type: Widget }, (obj: KubeObject) => {
      (obj.spec as Record<string, unknown>).size ??= 1;
    });
    const s = webhookSpecOf(inPlace) as AdmissionWebhookSpec;
    const out = await reviewAdmission(review("CREATE", widget({ name: "a" })), s, inPlace.handler as never);
    assert.equal(out.review.response.patchType, "JSONPatch");
    assert.deepEqual(JSON.parse(Buffer.from(out.review.response.patch!, "base64").toString()), [
      { op: "add", path: "/spec/size", value: 1 },
    ]);
    const same = await reviewAdmission(review("CREATE", widget({ size: 2 })), s, inPlace.handler as never);
    assert.deepEqual(same.review.response, { uid: "u-1", allowed: true });
    const returning = defineDefaulter({ type: Widget }, (obj: KubeObject) => ({
      ...obj,
      spec: { ...(obj.spec as object), color: "blue" },
    }));
    const r = await reviewAdmission(
      review("UPDATE", widget({ size: 2 }), widget({ size: 2 })),
      webhookSpecOf(returning) as AdmissionWebhookSpec,
      returning.handler as never,
    );
    assert.deepEqual(r.patch, [{ op: "add", path: "/spec/color", value: "blue" }]);
  });

  it("a body that is not an AdmissionReview is refused", async () => {
    await assert.rejects(reviewAdmission({ kind: "Pod" }, spec, handler), /expected an AdmissionReview/);
  });
});

describe("reviewConversion", () => {
  const conversion: ConversionOptions = {
    type: Widget,
    hub: "v2",
    spokes: {
      v1: {
        toHub: (o) => ({ ...o, spec: { size: (o.spec as { replicas: number }).replicas } }),
        fromHub: (h) => ({ ...h, spec: { replicas: (h.spec as { size: number }).size } }),
      },
    },
  };
  const conversions = new Map([["example.com/Widget", conversion]]);
  const body = (desiredAPIVersion: string, objects: KubeObject[]) => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "ConversionReview",
    request: { uid: "c-1", desiredAPIVersion, objects },
  });
  const v1 = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "a", uid: "1", labels: { x: "y" } }, spec: { replicas: 3 } };
  const v2 = { apiVersion: "example.com/v2", kind: "Widget", metadata: { name: "b", uid: "2" }, spec: { size: 4 } };

  it("converts every object of a mixed list to the desired version, keeping kind and metadata", () => {
    const out = reviewConversion(body("example.com/v2", [v1, v2]), conversions);
    assert.equal(out.code, 200);
    assert.deepEqual(out.review.response, {
      uid: "c-1",
      result: { status: "Success" },
      convertedObjects: [
        { apiVersion: "example.com/v2", kind: "Widget", metadata: v1.metadata, spec: { size: 3 } },
        { apiVersion: "example.com/v2", kind: "Widget", metadata: v2.metadata, spec: { size: 4 } },
      ],
    });
    const back = reviewConversion(body("example.com/v1", [v2]), conversions);
    assert.deepEqual(back.review.response.convertedObjects, [
      { apiVersion: "example.com/v1", kind: "Widget", metadata: v2.metadata, spec: { replicas: 4 } },
    ]);
  });

  it("an unknown version is a Failure that names the versions it knows", () => {
    const out = reviewConversion(body("example.com/v3", [v1]), conversions);
    assert.equal(out.code, 400);
    assert.deepEqual(out.review.response.result, {
      status: "Failure",
      message:
        "cannot convert Widget a from example.com/v1 to example.com/v3: version v3 is not known to this conversion (it converts v2, v1 through the hub v2)",
    });
  });

  it("a conversion function that throws is a Failure, and an unconverted kind is named", () => {
    const broken = new Map([
      [
        "example.com/Widget",
        {
          ...conversion,
          spokes: {
            v1: {
              toHub: () => {
                throw new Error("boom");
              },
              fromHub: (h: KubeObject) => h,
            },
          },
        },
      ],
    ]);
    const out = reviewConversion(body("example.com/v2", [v1]), broken);
    assert.equal(out.code, 500);
    assert.deepEqual(out.review.response.result, { status: "Failure", message: "conversion failed: boom" });
    const other = reviewConversion(body("example.com/v2", [{ ...v1, kind: "Gadget" }]), conversions);
    assert.match((other.review.response.result as { message: string }).message, /no conversion is declared for Gadget/);
  });
});
