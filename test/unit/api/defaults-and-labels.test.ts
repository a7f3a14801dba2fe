/** Issue 12 defaults: the 10 h resync (0 turns it off, counted as success), the tracking label option. */
import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { K8sType, OPERATOR_DEFAULTS, OperatorConfig } from "../../../src/api/index.js";
import { reconcileDecisionOf } from "../../../src/controller/reconcile-result.js";
import { QueuePriority } from "../../../src/controller/work-queue.js";
import { withOwnership } from "../../../src/controller/ownership.js";
import { desiredHash } from "../../../src/controller/desired-child.js";

const Widget = K8sType.of("example.com/v1", "Widget", { plural: "widgets", namespaced: true });

describe("periodic resync default", () => {
  it("is 10 hours; 0 turns it off and is a valid setting; negative is refused", () => {
    assert.equal(OPERATOR_DEFAULTS.resyncPeriodMs, 36_000_000);
    assert.deepEqual(new OperatorConfig("w", Widget).withResyncPeriod(0).problems(), []);
    assert.match(new OperatorConfig("w", Widget).withResyncPeriod(-5).problems().join(), /0 for no periodic resync/);
  });

  it("a sync that is done with the periodic resync scheduled counts as success (controller-runtime's SyncPeriod)", () => {
    assert.deepEqual(reconcileDecisionOf({ kind: "done", resyncAfterMs: 1000 }), {
      queue: { type: "success", requeueAfterMs: 1000, requeuePriority: QueuePriority.low }, // behind live changes
      metric: "success",
      failure: false,
      terminal: false,
    });
    assert.equal(
      reconcileDecisionOf({ kind: "requeue", afterMs: 1000 }).metric,
      "requeue_after",
      "a handler's resyncAfter stays requeue_after",
    );
  });
});

describe("tracking label and managed-by", () => {
  it("trackingLabel must be a label key and never app.kubernetes.io/instance", () => {
    assert.deepEqual(new OperatorConfig("w", Widget).withTrackingLabel("example.com/owner-uid").problems(), []);
    assert.match(new OperatorConfig("w", Widget).withTrackingLabel("app.kubernetes.io/instance").problems().join(), /Helm sets it too/);
    assert.match(new OperatorConfig("w", Widget).withTrackingLabel("bad key!").problems().join(), /is not a label key/);
  });

  it("children get managed-by (the handler's own value wins) under the configured tracking label", () => {
    const parent = { apiVersion: "example.com/v1", kind: "Widget", name: "w", uid: "u1" };
    const child = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
    const owned = withOwnership(child, parent, "widgets", "example.com/owner-uid");
    assert.deepEqual(owned.metadata?.labels, {
      "app.kubernetes.io/managed-by": "widgets",
      "example.com/owner-uid": "u1",
      "tsoperator.dev/operator": "widgets",
    });
    const own = withOwnership({ ...child, metadata: { name: "c", labels: { "app.kubernetes.io/managed-by": "helm" } } }, parent, "widgets");
    assert.equal(own.metadata?.labels?.["app.kubernetes.io/managed-by"], "helm");
  });

  it("managed-by is outside the desired hash: adding it never recreates a Recreate child", () => {
    const child = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { app: "x" } } };
    const stamped = {
      ...child,
      metadata: { ...child.metadata, labels: { ...child.metadata.labels, "app.kubernetes.io/managed-by": "op" } },
    };
    assert.equal(desiredHash(stamped), desiredHash(child));
  });
});
