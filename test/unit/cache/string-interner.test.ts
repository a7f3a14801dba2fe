import assert from "node:assert/strict";
import { test } from "node:test";
import { InformerPool } from "../../../src/cache/informer-pool.js";
import { StringInterner } from "../../../src/cache/string-interner.js";
import { noopLogger } from "../../../src/observability/logger.js";

const child = (name: string, uid: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name,
    namespace: "team-a",
    labels: { "tsoperator.dev/parent-uid": uid },
    ownerReferences: [{ apiVersion: "example.com/v1", kind: "Parent", name: "p", uid, controller: true }],
  },
  data: { payload: "x".repeat(100), list: ["team-a", 3, null] },
});

test("internValues leaves every value equal (the object reads exactly as before) and shares repeated strings", () => {
  const interner = new StringInterner();
  const a = interner.internValues(child("a", "u-1"));
  // Within a: the owner uid repeats the label value, the list's string the namespace.
  assert.equal(interner.hits, 2);
  const b = interner.internValues(child("b", "u-1"));
  assert.deepEqual(a, child("a", "u-1"));
  assert.deepEqual(b, child("b", "u-1"));
  // b's apiVersion, kind, namespace, label value, owner apiVersion/kind/name/uid and the list's string come from the table.
  assert.equal(interner.hits, 2 + 9);
});

test("strings over maxLength are not held; a full table starts over", () => {
  const interner = new StringInterner(3, 5);
  interner.internValues({ a: "123456", b: "x" });
  assert.equal(interner.size, 1);
  interner.internValues({ c: "y", d: "z" });
  assert.equal(interner.size, 3);
  interner.internValues({ e: "w" });
  assert.equal(interner.size, 1);
});

test("frozen objects are left alone, and read-only properties do not throw", () => {
  const interner = new StringInterner();
  interner.intern("team-a");
  const frozen = Object.freeze({ namespace: "team-a" });
  assert.equal(interner.internValues({ metadata: frozen }).metadata, frozen);
  const readOnly = Object.defineProperty({}, "namespace", { value: "team-a", enumerable: true, writable: false });
  assert.deepEqual(interner.internValues(readOnly), { namespace: "team-a" });
});

test("an InformerPool's caches hold objects equal to the wire objects, with interning on (default) and off", () => {
  for (const options of [{}, { internStrings: false }]) {
    const pool = new InformerPool({} as never, noopLogger, undefined, options);
    const informer = pool.informerFor({
      group: "",
      version: "v1",
      apiVersion: "v1",
      kind: "ConfigMap",
      plural: "configmaps",
      namespaced: true,
    });
    const transform = (informer as unknown as { options: { transform: (o: unknown) => unknown } }).options.transform;
    assert.deepEqual(transform(child("a", "u-1")), child("a", "u-1"));
  }
});
