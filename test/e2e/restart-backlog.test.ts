/**
 * An operator started over a backlog (parents created while no operator ran: every deploy, crash
 * and failover) writes each missing child once and reads none of them: the writes are made
 * create-only (a POST, or under server-side apply an apply that only creates), and a child is
 * looked up only when its name turns out to be taken. Counted on the API server's audit log, where
 * the operator runs as its own user (issue 15, W1b).
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap, V1Secret, V1Service } from "@kubernetes/client-node";
import { ChildConfig, OperatorConfig, SyncResponse, type KubeObject, type OperatorDefinition, type SyncRequest } from "../../src/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { applyManifests, ensureNamespace } from "../../src/testing/manifests.js";
import { E2E_API_VERSION, E2E_GROUP, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { sleep } from "./fixtures/recorder.js";

const PARENTS = 20;
const CHILD_RESOURCES = ["configmaps", "services", "secrets"];
const NAMESPACE = "backlog";

/** Every request of the operator's user on the child types and the parent type, at level Metadata, once each. */
const AUDIT_POLICY = [
  "apiVersion: audit.k8s.io/v1",
  "kind: Policy",
  "omitStages: [RequestReceived]",
  "rules:",
  "- level: Metadata",
  "  users: [operator]",
  "  resources:",
  "  - group: ''",
  `    resources: [${CHILD_RESOURCES.join(", ")}]`,
  `  - group: ${E2E_GROUP}`,
  "    resources: [backlogs, backlogs/status]",
  "- level: None",
  "",
].join("\n");

/** Backlog → a ConfigMap and a Service (server-side apply) and a Secret (Replace: a POST to create). */
const backlogOperator: OperatorDefinition = {
  config: new OperatorConfig("backlog", testType("Backlog"))
    .withChild(V1ConfigMap)
    .withChild(V1Service)
    .withChild(V1Secret, ChildConfig.replace()),
  handler: (req: SyncRequest<KubeObject>) => {
    const name = req.raw.metadata!.name!;
    return SyncResponse.of({ phase: "Ready" })
      .withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { parent: name } })
      .withChild({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      })
      .withChild({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name },
        type: "Opaque",
        data: { parent: Buffer.from(name).toString("base64") },
      });
  },
};

interface AuditRequest {
  verb: string;
  resource: string;
  name?: string;
  code?: number;
}

async function operatorRequests(cp: LocalControlPlane): Promise<AuditRequest[]> {
  const text = await readFile(cp.auditLogPath!, "utf8");
  const out: AuditRequest[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const event = JSON.parse(line);
    if (event.user?.username !== "operator" || event.objectRef?.namespace !== NAMESPACE) continue;
    out.push({ verb: event.verb, resource: event.objectRef.resource, name: event.objectRef.name, code: event.responseStatus?.code });
  }
  return out;
}

describe("restart over a backlog", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start({ controllerManager: false, audit: { policy: AUDIT_POLICY }, users: [{ name: "operator" }] });
    // The backlog: the CRD and the parents exist before any operator runs.
    const client = KubeClient.fromKubeConfig(cp.kubeConfig);
    const discovery = new Discovery(client);
    await applyManifests(client, discovery, [testCrd("Backlog")]);
    await ensureNamespace(client, discovery, NAMESPACE);
    const type = await discovery.resolve(E2E_API_VERSION, "Backlog");
    for (let i = 0; i < PARENTS; i++) {
      await client.create(type, { ...parentOf("Backlog", `b-${i}`), metadata: { name: `b-${i}`, namespace: NAMESPACE } });
    }
    kit = await TestKit.start({
      controlPlane: cp,
      namespace: NAMESPACE,
      operators: [backlogOperator],
      operatorUser: "operator",
      logger: logs.logger,
    });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("creates every missing child with one write and no read of it", async () => {
    await kit.eventually(
      async () => {
        const ready = (await kit.list(E2E_API_VERSION, "Backlog")).filter((p) => (p.status as { phase?: string })?.phase === "Ready");
        assert.equal(ready.length, PARENTS, "parents converged");
      },
      { timeout: 60_000, interval: 200 },
    );
    for (const [apiVersion, kind] of [
      ["v1", "ConfigMap"],
      ["v1", "Service"],
      ["v1", "Secret"],
    ] as const) {
      const names = (await kit.list(apiVersion, kind)).map((o) => o.metadata?.name).filter((n) => n?.startsWith("b-"));
      assert.equal(names.length, PARENTS, `${kind}s`);
    }
    await kit.reconcile();
    await sleep(300);

    const requests = await operatorRequests(cp);
    // Nothing is read one by one: not the children, not the parents (the caches hold them). The
    // log does record the operator's requests on parents: its status writes are there.
    assert.ok(
      requests.some((r) => r.resource === "backlogs" && r.verb === "patch"),
      "no status write of the operator in the audit log",
    );
    const gets = requests.filter((r) => r.verb === "get");
    assert.deepEqual(
      gets.map((r) => `${r.resource}/${r.name}`),
      [],
      `the operator read ${gets.length} objects one by one, e.g. children it was about to create (the raw bound reads none)`,
    );
    // One write per child, all of them successful: what the raw bound sends.
    const writes = requests.filter((r) => CHILD_RESOURCES.includes(r.resource) && !["get", "list", "watch"].includes(r.verb));
    const perChild = new Map<string, number>();
    for (const w of writes) perChild.set(`${w.resource}/${w.name}`, (perChild.get(`${w.resource}/${w.name}`) ?? 0) + 1);
    assert.equal(perChild.size, PARENTS * CHILD_RESOURCES.length, JSON.stringify([...perChild]));
    assert.deepEqual(
      [...perChild].filter(([, n]) => n !== 1),
      [],
      "a child written more than once",
    );
    assert.deepEqual(
      writes.filter((w) => (w.code ?? 500) >= 300),
      [],
      "a write refused",
    );
    const verbs = new Set(writes.map((w) => `${w.verb} ${w.resource}`));
    assert.deepEqual([...verbs].sort(), ["create secrets", "patch configmaps", "patch services"]);
  });
});
