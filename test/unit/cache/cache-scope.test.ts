import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cacheLabel, cacheScopeText } from "../../../src/cache/cache-scope.js";
import { Metrics } from "../../../src/observability/metrics.js";

describe("cache scope names (the cache label of tsoperator_informer_objects)", () => {
  it("name the namespace, the label selector and the cache options; an unscoped cache is 'all'", () => {
    assert.equal(cacheLabel({}), "all");
    assert.equal(cacheScopeText({}), "");
    assert.equal(cacheLabel({ namespace: "ns", labelSelector: "tsoperator.dev/parent" }), "in ns (tsoperator.dev/parent)");
    assert.equal(
      cacheLabel({ fieldSelector: "type=Opaque", metadataOnly: true, variant: "transform t1" }),
      "[fields type=Opaque, metadata only, transform t1]",
    );
  });

  it("two caches of one resource are two series of the gauge", async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.informerObjects("configmaps", 1, cacheLabel({ namespace: "ns", labelSelector: "tsoperator.dev/parent" }));
    metrics.informerObjects("configmaps", 3, cacheLabel({ namespace: "ns" }));
    const text = await metrics.render();
    assert.match(text, /^tsoperator_informer_objects\{resource="configmaps",cache="in ns \(tsoperator.dev\/parent\)"\} 1$/m);
    assert.match(text, /^tsoperator_informer_objects\{resource="configmaps",cache="in ns"\} 3$/m);
  });
});
