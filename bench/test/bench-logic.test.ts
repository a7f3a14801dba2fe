/**
 * Unit tests of the harness's pure logic (no server): metrics parsing, request paths, medians,
 * README markers, the chart. Run: `npx node --test dist/bench/test/*.test.js`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { countWrites, diffCounts, parseRequestTotals } from "../lib/apiserver-metrics.js";
import { isCollection, resourceOf } from "../lib/kube-http.js";
import { convergenceSvg, median, replaceBetweenMarkers, summarize } from "../lib/report.js";
import { childrenOf } from "../lib/workload.js";

const METRICS = `# HELP apiserver_request_total x
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="APPLY",version="v1"} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="APPLY",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="bench.tsoperator.dev",resource="benchparents",scope="resource",subresource="status",verb="APPLY",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 9
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="services",scope="namespace",subresource="",verb="LIST",version="v1"} 1
`;

test("parseRequestTotals sums codes per verb and resource and keeps only the workload's resources", () => {
  assert.deepEqual(parseRequestTotals(METRICS), { "APPLY configmaps": 10, "APPLY benchparents/status": 2, "LIST services": 1 });
});

test("diffCounts subtracts the before and the harness's own requests; countWrites counts write verbs", () => {
  const d = diffCounts(
    { "APPLY configmaps": 4 },
    { "APPLY configmaps": 10, "LIST services": 2, "POST benchparents": 5 },
    { "POST benchparents": 5, "LIST services": 1 },
  );
  assert.deepEqual(d, { "APPLY configmaps": 6, "LIST services": 1 });
  assert.equal(countWrites(d), 6);
});

test("resourceOf and isCollection read core and group paths", () => {
  assert.equal(resourceOf("/api/v1/namespaces/ns/configmaps/a?x=1"), "configmaps");
  assert.equal(resourceOf("/apis/bench.tsoperator.dev/v1/namespaces/ns/benchparents/p/status"), "benchparents/status");
  assert.equal(isCollection("/apis/bench.tsoperator.dev/v1/namespaces/ns/benchparents?limit=1"), true);
  assert.equal(isCollection("/api/v1/namespaces/ns"), false);
  assert.equal(isCollection("/api/v1/namespaces"), true);
});

test("median of odd, even and empty inputs", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([undefined]), undefined);
});

test("replaceBetweenMarkers replaces only the marked block, or appends one", () => {
  const readme = "a\n<!-- bench:results:start -->\nold\n<!-- bench:results:end -->\nb\n";
  assert.equal(replaceBetweenMarkers(readme, "new"), "a\n<!-- bench:results:start -->\nnew\n<!-- bench:results:end -->\nb\n");
  assert.match(replaceBetweenMarkers("x", "new"), /start -->\nnew\n<!-- bench:results:end/);
});

test("summarize skips failed runs and reports growth per object", () => {
  const phase = (ms: number) => ({ ms, writes: 1, requests: {}, peerCpuMs: 10, apiServerCpuMs: 20 });
  const s = summarize(
    [
      { peer: "p", rep: 0, position: 0, w1: phase(100), rssReadyBytes: 1024 * 1024, rssAfterW1Bytes: 1024 * 1024 + 4 * 10 * 1024 },
      { peer: "p", rep: 1, position: 0, w1: phase(900), error: "boom" },
    ],
    10,
  );
  assert.equal(s[0]!.w1Ms, 100);
  assert.equal(s[0]!.failures, 1);
  assert.equal(s[0]!.rssPerObjectKb, 1);
});

test("the chart has one polyline per peer", () => {
  const svg = convergenceSvg(
    [
      {
        peer: "a",
        timeline: [
          [0, 0],
          [10, 5],
        ],
      },
      { peer: "b<", timeline: [[0, 0]] },
    ],
    5,
    "t",
  );
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.match(svg, /b&lt;/);
});

test("children carry the tracking label and a controller ownerReference", () => {
  const kids = childrenOf({ name: "p", namespace: "ns", uid: "u1", payload: "x" });
  assert.deepEqual(
    kids.map((k) => k.metadata!.name),
    ["p-a", "p-b", "p"],
  );
  for (const k of kids) {
    assert.equal((k.metadata!.labels as Record<string, string>)["tsoperator.dev/parent-uid"], "u1");
    assert.deepEqual((k.metadata!.ownerReferences as object[])[0], {
      apiVersion: "bench.tsoperator.dev/v1",
      kind: "BenchParent",
      name: "p",
      uid: "u1",
      controller: true,
      blockOwnerDeletion: true,
    });
  }
});
