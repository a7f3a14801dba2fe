/**
 * The webhook server's request path and certificate watcher, with a client on loopback (no API
 * server: what it does with each request is HTTP, not Kubernetes): unknown paths, wrong methods
 * and bodies that are not reviews get plain HTTP errors and are counted; a certificate whose key
 * does not match yet is not adopted; a matching pair is.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent, request } from "undici";
import { Metrics } from "../../../src/observability/metrics.js";
import { WebhookCertificates } from "../../../src/testing/webhook-certificates.js";
import { CertificateWatcher } from "../../../src/webhook/certificate-watcher.js";
import { defineValidator, resolveWebhook } from "../../../src/webhook/definitions.js";
import { denied } from "../../../src/webhook/admission.js";
import { WebhookServer } from "../../../src/webhook/webhook-server.js";
import { tsyringeResolver } from "../../../src/di/resolver.js";

describe("WebhookServer", () => {
  let certs: WebhookCertificates;
  let server: WebhookServer;
  let agent: Agent;
  let base: string;
  const metrics = new Metrics({ defaultMetrics: false });

  before(async () => {
    certs = await WebhookCertificates.create();
    const validator = defineValidator({ type: { apiVersion: "v1", kind: "ConfigMap" } }, { validateCreate: () => denied("no") });
    server = new WebhookServer([await resolveWebhook(validator, tsyringeResolver())], {
      port: 0,
      host: "127.0.0.1",
      certDir: certs.dir,
      metrics,
    });
    base = `https://127.0.0.1:${await server.start()}`;
    agent = new Agent({ connect: { ca: certs.caCert } });
  });

  after(async () => {
    await agent.close();
    await server.stop();
    await certs.remove();
  });

  const post = async (path: string, body: string, method: "POST" | "GET" = "POST") => {
    const res = await request(`${base}${path}`, { method, dispatcher: agent, ...(method === "POST" ? { body } : {}) });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  it("answers a review; unknown paths 404, other methods 405, bodies that are not reviews 400", async () => {
    const review = {
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: { uid: "1", operation: "CREATE", object: { kind: "ConfigMap" }, userInfo: {} },
    };
    const ok = await post("/validate-core-v1-configmap", JSON.stringify(review));
    assert.equal(ok.status, 200);
    assert.deepEqual((ok.body.response as { allowed: boolean }).allowed, false);
    assert.equal((await post("/validate-nothing", "{}")).status, 404);
    assert.equal((await post("/validate-core-v1-configmap", "", "GET")).status, 405);
    const notJson = await post("/validate-core-v1-configmap", "{not json");
    assert.equal(notJson.status, 400);
    const notReview = await post("/validate-core-v1-configmap", JSON.stringify({ kind: "Pod" }));
    assert.deepEqual(notReview, { status: 400, body: { message: "expected an AdmissionReview" } });
    const text = await metrics.render();
    assert.match(text, /controller_runtime_webhook_requests_total\{webhook="\/validate-core-v1-configmap",code="403"\} 1/);
    assert.match(text, /controller_runtime_webhook_requests_total\{webhook="\/validate-core-v1-configmap",code="400"\} 2/);
    assert.match(text, /controller_runtime_webhook_requests_in_flight\{webhook="\/validate-core-v1-configmap"\} 0/);
    assert.equal(server.readiness().ok, true);
  });

  it("the certificate watcher keeps a pair whose key does not match, and adopts a matching one", async () => {
    const watcher = new CertificateWatcher({
      certFile: join(certs.dir, "tls.crt"),
      keyFile: join(certs.dir, "tls.key"),
      intervalMs: 60_000,
    });
    const first = watcher.current.cert.toString();
    await copyFile(join(certs.dir, "tls.key"), join(certs.dir, "old.key"));
    await certs.rotate();
    await copyFile(join(certs.dir, "old.key"), join(certs.dir, "tls.key")); // new certificate, old key: a half-written rotation
    await watcher.poll();
    assert.equal(watcher.current.cert.toString(), first);
    assert.equal(watcher.reloads, 0);
    await certs.rotate();
    await watcher.poll();
    assert.notEqual(watcher.current.cert.toString(), first);
    assert.equal(watcher.reloads, 1);
    await writeFile(join(certs.dir, "tls.crt"), "garbage");
    await watcher.poll();
    assert.equal(watcher.reloads, 1, "an unreadable certificate is not adopted");
  });
});
