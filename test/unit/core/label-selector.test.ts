import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { labelSelectorString, labelsMatch, parseLabelSelector } from "../../../src/core/label-selector.js";

const matches = (selector: Parameters<typeof parseLabelSelector>[0], labels: Record<string, string>) =>
  labelsMatch(parseLabelSelector(selector), labels);

describe("label selectors", () => {
  it("string form: =, ==, !=, in, notin, exists, !exists", () => {
    assert.equal(matches("app=db", { app: "db" }), true);
    assert.equal(matches("app==db", { app: "web" }), false);
    assert.equal(matches("app!=db", { app: "web" }), true);
    assert.equal(matches("app!=db", {}), true, "!= matches objects without the label, as Kubernetes does");
    assert.equal(matches("tier in (a, b)", { tier: "b" }), true);
    assert.equal(matches("tier notin (a,b)", { tier: "b" }), false);
    assert.equal(matches("tier notin (a,b)", {}), true);
    assert.equal(matches("example.com/role", { "example.com/role": "" }), true);
    assert.equal(matches("!legacy", { legacy: "yes" }), false);
    assert.equal(matches("app=db,tier in (a,b),!legacy", { app: "db", tier: "a" }), true);
    assert.equal(matches("", { anything: "x" }), true, "an empty selector matches everything");
  });

  it("object form: matchLabels and matchExpressions", () => {
    const sel = { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In" as const, values: ["a"] }] };
    assert.equal(matches(sel, { app: "db", tier: "a" }), true);
    assert.equal(matches(sel, { app: "db", tier: "b" }), false);
    assert.equal(matches({}, {}), true);
  });

  it("the canonical string is the same for equal selectors in either form", () => {
    assert.equal(
      labelSelectorString("tier in (b,a), app=db"),
      labelSelectorString({ matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }),
    );
    assert.equal(labelSelectorString("app=db,!legacy"), "!legacy,app=db");
  });

  it("rejects malformed selectors with the term at fault", () => {
    assert.throws(() => parseLabelSelector("app=db,=x"), /term "=x"/);
    assert.throws(() => parseLabelSelector("app in (a b)"), /invalid value/);
    assert.throws(() => parseLabelSelector({ matchExpressions: [{ key: "a", operator: "Is" as never }] }), /not one of In/);
  });
});
