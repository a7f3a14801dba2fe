import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeThrown } from "../../../src/core/errors.js";
import { nonJsonValues } from "../../../src/core/json-check.js";

describe("nonJsonValues", () => {
  it("accepts JSON, Dates, shared references and what JSON.stringify drops", () => {
    const shared = { a: 1 };
    assert.deepEqual(nonJsonValues({ x: shared, y: [shared, shared], at: new Date(), f: () => 1, u: undefined, s: Symbol("s") }), []);
    assert.deepEqual(nonJsonValues("text"), []);
    assert.deepEqual(nonJsonValues(null), []);
  });

  it("names the path of a cycle and what it refers back to", () => {
    const status: Record<string, unknown> = { phase: "x" };
    status.self = status;
    assert.deepEqual(nonJsonValues(status, "status"), ["status.self refers back to status (a cycle): JSON cannot hold cycles"]);
    const child: Record<string, unknown> = { data: {} };
    (child.data as Record<string, unknown>).list = [child];
    assert.match(nonJsonValues(child)[0]!, /^data\.list\[0\] refers back to the root \(a cycle\)/);
  });

  it("names BigInts, Maps and Sets; at most five problems", () => {
    assert.deepEqual(nonJsonValues({ data: { n: 10n } }), ["data.n is a BigInt (10n): JSON has none; use a number or a string"]);
    assert.match(nonJsonValues({ m: new Map() }, "status")[0]!, /^status\.m is a Map: JSON writes it as \{\}/);
    assert.match(nonJsonValues([new Set()])[0]!, /^\[0\] is a Set/);
    assert.equal(nonJsonValues(Array.from({ length: 9 }, () => 1n)).length, 5);
  });
});

describe("describeThrown", () => {
  it("names what was thrown when it is not an Error, and shows it", () => {
    assert.equal(describeThrown(new Error("boom")), "boom");
    assert.equal(describeThrown("db down"), 'threw a string, not an Error: "db down"');
    assert.equal(describeThrown(42), "threw a number, not an Error: 42");
    assert.match(describeThrown(undefined), /^threw undefined \(not an Error\)/);
    assert.match(describeThrown(null), /^threw null \(not an Error\)/);
    assert.equal(describeThrown({ code: "E" }), 'threw an object, not an Error: {"code":"E"}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(describeThrown(cyclic), "threw an object, not an Error: [object Object]");
    class Oops {}
    assert.equal(describeThrown(new Oops()), "threw an object, not an Error: an instance of Oops");
  });
});
