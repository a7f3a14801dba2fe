/**
 * Unit tests of the API server profile summary (bench/profile/pprof-packages.ts): parsing
 * `go tool pprof -top` text and the parts' inclusive times. No server, no Go toolchain.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTop, partsOf } from "../profile/pprof-packages.js";

// The shape `go tool pprof -top` prints (header, then flat flat% sum% cum cum% name).
const TOP = `File: kube-apiserver
Type: cpu
Time: Dec 1, 2026 at 11:20pm (UTC)
Duration: 10.01s, Total samples = 90s (899.10%)
Showing nodes accounting for 90s, 100% of 90s total
      flat  flat%   sum%        cum   cum%
    12.50s 13.89% 13.89%     12.50s 13.89%  runtime.memmove
     900ms  1.00% 14.89%     30s 33.33%  k8s.io/apiserver/pkg/endpoints/handlers.(*applyPatcher).applyPatchToCurrentObject
     800ms  0.89% 15.78%     20s 22.22%  sigs.k8s.io/structured-merge-diff/v6/typed.(*TypedValue).Merge
     700ms  0.78% 16.56%     25s 27.78%  sigs.k8s.io/structured-merge-diff/v6/merge.(*Updater).Apply
     100us 5e-05% 16.56%      90s   100%  net/http.(*conn).serve
         0     0% 16.56%      1.21s  1.34%  k8s.io/apiserver/pkg/storage/etcd3.(*store).GuaranteedUpdate
     0.20s  0.22% 16.78%      0.30s  0.33%  sigs.k8s.io/json.UnmarshalCaseSensitivePreserveInts (inline)
`;

test("parseTop reads the total and every row in any unit", () => {
  const { total, rows } = parseTop(TOP);
  assert.equal(total, 90);
  assert.equal(rows.length, 7);
  assert.deepEqual(rows[0], { flat: 12.5, cum: 12.5, name: "runtime.memmove" });
  assert.equal(rows[1]!.flat, 0.9);
  assert.equal(rows[4]!.flat, 0.0001);
  assert.equal(rows[4]!.cum, 90);
  assert.deepEqual(rows[5], { flat: 0, cum: 1.21, name: "k8s.io/apiserver/pkg/storage/etcd3.(*store).GuaranteedUpdate" });
  assert.equal(rows[6]!.name, "sigs.k8s.io/json.UnmarshalCaseSensitivePreserveInts", "the inline label is not part of the name");
});

test("a part is its largest inclusive time, not the sum of a caller and its callees", () => {
  const parts = new Map(partsOf(parseTop(TOP).rows).map((p) => [p.part, p.seconds]));
  assert.equal(parts.get("server-side apply (apply patch handling)"), 30);
  assert.equal(parts.get("structured-merge-diff"), 25);
  assert.equal(parts.get("etcd client (storage)"), 0);
  assert.equal(parts.get("JSON decode"), 0.3, "an inlined entry point still counts");
});
