/** `@CustomResource` alone declares a custom resource: its type identity and its CRD (issue 10). */
import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { V1ConfigMap, type V1ObjectMeta } from "@kubernetes/client-node";
import { CustomResource, KubernetesType, Operator, Sync, SyncResponse, compileOperator, kubernetesTypeOf } from "../../../src/api/index.js";
import { crdsOf } from "../../../src/manifests/index.js";
import { TypeRegistry } from "../../../src/registry/index.js";

@CustomResource({
  apiVersion: "example.com/v1",
  kind: "Widget",
  plural: "widgets",
  namespaced: true,
  schema: { spec: { type: "object", properties: { size: { type: "integer" } } } },
  printerColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
})
class Widget {
  metadata!: V1ObjectMeta;
  spec!: { size: number };
}

@Operator({ name: "widget", parent: Widget, children: [{ type: V1ConfigMap }] })
class WidgetOperator {
  @Sync() sync() {
    return SyncResponse.of({});
  }
}

describe("@CustomResource", () => {
  it("declares the type: no @KubernetesType needed", () => {
    assert.equal(String(kubernetesTypeOf(Widget)), "example.com/v1 Widget");
    assert.equal(kubernetesTypeOf(Widget)?.plural, "widgets");
    const registry = new TypeRegistry();
    assert.equal(registry.register(Widget).cls, Widget);
    const widget = registry.toInstance<Widget>({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: { size: 3 },
    });
    assert.ok(widget instanceof Widget);
    assert.equal(compileOperator(WidgetOperator).config.parent.kind, "Widget");
  });

  it("and its CRD: schema and printer columns", () => {
    const [crd] = crdsOf([compileOperator(WidgetOperator).config]);
    const spec = crd!.spec as {
      names: { plural: string };
      versions: Array<{
        schema: { openAPIV3Schema: { properties: { spec: unknown } } };
        additionalPrinterColumns: Array<{ name: string }>;
      }>;
    };
    assert.equal(crd!.metadata!.name, "widgets.example.com");
    assert.deepEqual(spec.versions[0]!.schema.openAPIV3Schema.properties.spec, {
      type: "object",
      properties: { size: { type: "integer" } },
    });
    assert.deepEqual(
      spec.versions[0]!.additionalPrinterColumns.map((c) => c.name),
      ["Size", "Age"],
    );
  });

  it("still accepts the two-decorator form, and refuses two different identities", () => {
    @CustomResource({ schema: {} })
    @KubernetesType({ apiVersion: "example.com/v1", kind: "Old" })
    class Old {}
    assert.equal(String(kubernetesTypeOf(Old)), "example.com/v1 Old");
    assert.throws(() => {
      @CustomResource({ apiVersion: "example.com/v1", kind: "A" })
      @KubernetesType({ apiVersion: "example.com/v1", kind: "B" })
      class Both {}
      return Both;
    }, /declared as example\.com\/v1 B and as example\.com\/v1 A/);
    assert.throws(() => CustomResource({ kind: "OnlyKind" }), /needs both apiVersion and kind/);
  });
});
