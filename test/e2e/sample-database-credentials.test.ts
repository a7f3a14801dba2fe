/**
 * The database-credentials sample: a related Secret named by the parent, read from a label-selected
 * cache; rotating it rewrites the connection Secret, deleting it removes the connection, and the
 * operator never writes the credentials Secret.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { V1Secret } from "@kubernetes/client-node";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import type { KubeObject } from "../../src/index.js";
import {
  CREDENTIALS_LABEL,
  Database,
  DatabaseCredentialsOperator,
  byCredentials,
} from "../../samples/database-credentials/database-credentials.js";

const crd = fileURLToPath(new URL("../../../samples/database-credentials/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const credentials = (name: string, password: string, labelled = true): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, ...(labelled ? { labels: { [CREDENTIALS_LABEL]: "true" } } : {}) },
  data: { username: b64("app"), password: b64(password) },
});
const database = (name: string, secret: string): KubeObject => ({
  apiVersion: API,
  kind: "Database",
  metadata: { name },
  spec: { host: "db.example.com", credentialsSecret: secret },
});

describe("sample: database-credentials", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [DatabaseCredentialsOperator] });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  const url = async (name: string) =>
    Buffer.from(String(((await kit.get("v1", "Secret", name))?.data as { url?: string } | undefined)?.url ?? ""), "base64").toString();

  it("builds the connection Secret from the credentials Secret the Database names", async () => {
    await kit.create(credentials("db-creds", "first"));
    await kit.createParent(database("orders", "db-creds"));
    await kit.eventuallyMatches(API, "Database", "orders", { status: { ready: true, message: "connected" } });
    assert.equal(await url("orders-connection"), "postgres://app:first@db.example.com/app");
    const req = kit.syncRequest<Database>("orders");
    assert.ok(req?.parent instanceof Database);
    assert.ok(req.related.ofType(V1Secret).get("db-creds") instanceof V1Secret);
  });

  it("rotating the credentials rewrites the connection; the credentials Secret is never written", async () => {
    const before = await kit.get("v1", "Secret", "db-creds");
    await kit.patch("v1", "Secret", "db-creds", { data: { password: b64("rotated") } });
    await kit.eventually(async () => assert.equal(await url("orders-connection"), "postgres://app:rotated@db.example.com/app"));
    await kit.reconcile();
    const after = await kit.get("v1", "Secret", "db-creds");
    assert.equal(Number(after?.metadata?.resourceVersion) > Number(before?.metadata?.resourceVersion), true);
    assert.ok(
      !(after?.metadata?.managedFields ?? []).some((f) => f.manager === "database-credentials"),
      "the operator has no fields on the related Secret",
    );
    assert.equal(after?.metadata?.ownerReferences, undefined);
  });

  it("a second Database on the same Secret sees it shared (index lookup)", async () => {
    await kit.createParent(database("billing", "db-creds"));
    await kit.eventuallyMatches(API, "Database", "billing", {
      status: { ready: true, message: "credentials shared with 1 other database(s)" },
    });
    const req = kit.syncRequest<Database>("billing");
    assert.deepEqual(
      req
        ?.lookup(byCredentials, "db-creds")
        .map((d) => d.metadata.name)
        .sort(),
      ["billing", "orders"],
    );
  });

  it("an unlabelled Secret is not cached: the Database reports it, and gets it once labelled", async () => {
    await kit.create(credentials("plain", "p", false));
    await kit.createParent(database("reports", "plain"));
    await kit.eventuallyMatches(API, "Database", "reports", { status: { ready: false } });
    await kit.patch("v1", "Secret", "plain", { metadata: { labels: { [CREDENTIALS_LABEL]: "true" } } });
    await kit.eventuallyMatches(API, "Database", "reports", { status: { ready: true } });
  });

  it("deleting the credentials removes the connection Secret and says so", async () => {
    await kit.delete("v1", "Secret", "db-creds");
    const orders = await kit.eventuallyMatches(API, "Database", "orders", { status: { ready: false } });
    assert.match(String((orders.status as { message?: string }).message), /Secret db-creds not found/);
    await kit.eventuallyDeleted("v1", "Secret", "orders-connection");
    await kit.eventuallyDeleted("v1", "Secret", "billing-connection");
  });
});
