/**
 * `tsoperator_informer_objects` with several caches of one resource type, on a real kube-apiserver:
 * an operator's child cache (label-selected by the tracking label) and a related cache of the same
 * type (every object of the namespace) are two informers of one pool. Each must show its own count;
 * before the `cache` label they wrote one series `{resource}` and the last writer won.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { InformerPool } from "../../src/cache/informer-pool.js";
import { noopLogger } from "../../src/observability/logger.js";
import { Metrics } from "../../src/observability/metrics.js";
import { eventually } from "../../src/testing/index.js";
import { configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

const NAMESPACE = "informer-metrics";

const plane = withControlPlane({ setUp: ({ client }) => client.create(namespaces, { metadata: { name: NAMESPACE } }) });

/** Every sample of `name` whose labels include `resource="<resource>"`: value per label text. */
function samples(text: string, name: string, resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line);
    if (m?.[1]?.includes(`resource="${resource}"`)) out.set(m[1], Number(m[2]));
  }
  return out;
}

test("a child cache and a related cache of one resource type each report their own tsoperator_informer_objects", async () => {
  // Three ConfigMaps, one of them a child (it carries the tracking label the child cache selects).
  await plane.client.create(configMaps, { metadata: { name: "child", namespace: NAMESPACE, labels: { "tsoperator.dev/parent": "p" } } });
  await plane.client.create(configMaps, { metadata: { name: "other-a", namespace: NAMESPACE } });
  await plane.client.create(configMaps, { metadata: { name: "other-b", namespace: NAMESPACE } });

  const metrics = new Metrics({ defaultMetrics: false });
  const pool = new InformerPool(plane.client, noopLogger, metrics);
  const children = pool.informerFor(configMaps, { namespace: NAMESPACE, labelSelector: "tsoperator.dev/parent" });
  const related = pool.informerFor(configMaps, { namespace: NAMESPACE });
  const stop = new AbortController();
  const running = pool.run(stop.signal);
  try {
    await pool.waitForSync(stop.signal);
    // kube-root-ca.crt may appear in the namespace too (whenever the controller manager gets to
    // it): compare each series with what its cache holds at the time of the scrape.
    await eventually(
      async () => {
        assert.equal(children.store.size, 1, "the child cache holds the child");
        assert.ok(related.store.size >= 3, `the related cache holds ${related.store.size} of 3`);
        const relatedCount = related.store.size;
        const series = samples(await metrics.render(), "tsoperator_informer_objects", "configmaps");
        assert.deepEqual(
          [...series.values()].sort((a, b) => a - b),
          [1, relatedCount],
          `one series per cache (1 child, ${relatedCount} related), got ${JSON.stringify([...series])}`,
        );
      },
      { timeout: 10_000 },
    );
  } finally {
    stop.abort();
    await running;
  }
});
