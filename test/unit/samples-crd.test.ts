/** The samples' CRD files are exactly what `tsoperator manifests` generates from their classes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { compileOperator, type OperatorInput } from "../../src/api/compile.js";
import { crdsOf, generateManifests } from "../../src/manifests/generate.js";
import { EchoServerOperator } from "../../samples/echo-server/echo-server.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";
import { DatabaseCredentialsOperator } from "../../samples/database-credentials/database-credentials.js";
import * as tempNamespace from "../../samples/temp-namespace/temp-namespace.js";
import { WebAppOperator, webhooks as webAppWebhooks } from "../../samples/web-app/web-app.js";

const samples: Array<[string, OperatorInput | undefined]> = [
  ["echo-server", EchoServerOperator],
  ["greeting", GreetingOperator],
  ["database-credentials", DatabaseCredentialsOperator],
  // What the module exports for `tsoperator run`/`manifests` (read loosely: older versions exported only a factory).
  ["temp-namespace", (tempNamespace as { operators?: OperatorInput[] }).operators?.[0]],
];

for (const [dir, operator] of samples) {
  test(`samples/${dir}/crd.yaml is the CRD generated from its @CustomResource`, () => {
    assert.ok(operator, `samples/${dir} exports no operator for tsoperator manifests`);
    const path = fileURLToPath(new URL(`../../../samples/${dir}/crd.yaml`, import.meta.url));
    const committed = parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS());
    const generated = JSON.parse(JSON.stringify(crdsOf([compileOperator(operator).config])));
    assert.deepEqual(committed, generated, `regenerate samples/${dir}/crd.yaml`);
    const version = generated[0].spec.versions[0];
    assert.ok(Object.keys(version.schema.openAPIV3Schema.properties.spec.properties ?? {}).length > 0, "the CRD has a spec schema");
    assert.ok(version.additionalPrinterColumns.length > 1, "the CRD has its printer columns");
  });
}

test("samples/web-app/crd.yaml is `tsoperator manifests --crds-only`: both versions and the conversion stanza", () => {
  const path = fileURLToPath(new URL("../../../samples/web-app/crd.yaml", import.meta.url));
  const committed = parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS());
  const generated = JSON.parse(JSON.stringify(generateManifests([compileOperator(WebAppOperator)], { webhooks: webAppWebhooks }).crds));
  assert.deepEqual(committed, generated, "regenerate samples/web-app/crd.yaml");
  assert.deepEqual(
    generated[0].spec.versions.map((v: { name: string }) => v.name),
    ["v2", "v1"],
  );
  assert.equal(generated[0].spec.conversion.strategy, "Webhook");
});
