/**
 * The audit log reader (pure): API server audit events (JSON lines) become write records; reads,
 * RequestReceived stages and torn lines are skipped. The e2e side is test/e2e/control-plane-faults.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_AUDIT_POLICY,
  auditFlags,
  auditWritesOf,
  parseAuditEvents,
  parseAuditWrites,
} from "../../../src/testing/control-plane/audit.js";

const event = (over: Record<string, unknown>) =>
  JSON.stringify({
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    stage: "ResponseComplete",
    requestURI: "/api/v1/namespaces/ns/configmaps/x",
    verb: "patch",
    user: { username: "operator", groups: ["system:masters"] },
    objectRef: { resource: "configmaps", namespace: "ns", name: "x", apiVersion: "v1" },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: "2026-12-01T12:00:00.123456Z",
    stageTimestamp: "2026-12-01T12:00:00.200000Z",
    ...over,
  });

test("parseAuditWrites turns write events into records and skips reads, early stages and torn lines", () => {
  const text = [
    event({}),
    event({ verb: "get" }),
    event({ stage: "RequestReceived" }),
    event({
      verb: "create",
      objectRef: { resource: "benchparents", subresource: "status", apiGroup: "bench.tsoperator.dev", namespace: "ns", name: "p" },
      responseStatus: { code: 409 },
    }),
    '{"kind":"Event","verb":"patch", "user": {',
    "",
  ].join("\n");
  const writes = parseAuditWrites(text);
  assert.equal(writes.length, 2);
  assert.deepEqual(writes[0], {
    verb: "patch",
    resource: "configmaps",
    subresource: undefined,
    apiGroup: "",
    namespace: "ns",
    name: "x",
    user: "operator",
    code: 200,
    time: new Date("2026-12-01T12:00:00.123456Z"),
    requestURI: "/api/v1/namespaces/ns/configmaps/x",
  });
  const second = writes[1]!;
  assert.deepEqual(
    [second.verb, second.resource, second.subresource, second.apiGroup, second.code],
    ["create", "benchparents", "status", "bench.tsoperator.dev", 409],
  );
});

test("the default policy records writes only, once; the flags point the API server at the policy and the log", () => {
  assert.match(DEFAULT_AUDIT_POLICY, /omitStages: \[RequestReceived\]/);
  assert.match(DEFAULT_AUDIT_POLICY, /verbs: \[create, update, patch, delete, deletecollection\]/);
  assert.match(DEFAULT_AUDIT_POLICY, /- level: None\n$/);
  assert.deepEqual(auditFlags("/p.yaml", "/a.log", "batch").slice(0, 3), [
    "--audit-policy-file=/p.yaml",
    "--audit-log-path=/a.log",
    "--audit-log-mode=batch",
  ]);
});

test("parseAuditEvents keeps every verb and stage, with the request's id and user agent", () => {
  const text = [
    event({ verb: "watch", stage: "ResponseStarted", auditID: "w1", userAgent: "op/1.0" }),
    event({ verb: "watch", stage: "ResponseComplete", auditID: "w1", userAgent: "op/1.0" }),
    event({ verb: "list", auditID: "l1" }),
  ].join("\n");
  const events = parseAuditEvents(text);
  assert.deepEqual(
    events.map((e) => `${e.auditID} ${e.verb} ${e.stage} ${e.userAgent ?? "-"}`),
    ["w1 watch ResponseStarted op/1.0", "w1 watch ResponseComplete op/1.0", "l1 list ResponseComplete -"],
  );
  assert.deepEqual(auditWritesOf(events), [], "no writes among them");
});
