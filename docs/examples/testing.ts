// docs/examples/testing.ts — an end-to-end test on a real kube-apiserver (node:test).
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestKit } from "tsoperator/testing";
import { WebsiteOperator } from "./getting-started.js";

export const websiteCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "websites.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { kind: "Website", plural: "websites", singular: "website" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

export function websiteTests(): void {
  describe("website operator", () => {
    let kit: TestKit;
    before(async () => {
      // Starts etcd + kube-apiserver + garbage collector on 127.0.0.1, installs the CRD, runs the operator.
      kit = await TestKit.start({ operators: [WebsiteOperator], manifests: [websiteCrd] });
    });
    after(() => kit.close());

    it("publishes a page", async () => {
      await kit.createParent({ apiVersion: "example.com/v1", kind: "Website", metadata: { name: "home" }, spec: { title: "Hi" } });
      const page = await kit.eventuallyExists("v1", "ConfigMap", "home-page");
      assert.equal((page.data as Record<string, string>)["index.html"], "<h1>Hi</h1>");
      await kit.reconcile(); // quiet (nothing queued or in flight), and every sync succeeded
      assert.equal(kit.errorCount("home"), 0);
    });
  });
}
