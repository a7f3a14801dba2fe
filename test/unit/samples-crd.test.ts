/** The samples' CRD files are exactly what `tsoperator manifests` generates from their classes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { compileOperator } from "../../src/api/compile.js";
import { crdsOf } from "../../src/manifests/generate.js";
import { EchoServerOperator } from "../../samples/echo-server/echo-server.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";

for (const [dir, operator] of [["echo-server", EchoServerOperator], ["greeting", GreetingOperator]] as const) {
  test(`samples/${dir}/crd.yaml is the CRD generated from its @CustomResource`, () => {
    const path = fileURLToPath(new URL(`../../../samples/${dir}/crd.yaml`, import.meta.url));
    const committed = parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS());
    assert.deepEqual(committed, JSON.parse(JSON.stringify(crdsOf([compileOperator(operator).config]))), `regenerate samples/${dir}/crd.yaml`);
  });
}
