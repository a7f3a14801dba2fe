/**
 * The `tsoperator` command with a module that exports webhooks (the web-app sample):
 * - `manifests` writes the webhook pieces (`04-webhooks.yaml`) and `--crds-only` the committed crd.yaml;
 * - `dev` serves the webhooks on loopback with a CA made on the fly and points its local API server
 *   at them: an invalid object is refused within seconds, a valid one is defaulted and served in
 *   both versions; Ctrl-C stops everything.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { exitOf, waitForOutput } from "./support/child-process.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
const webAppModule = join(root, "dist/samples/web-app/web-app.js");

describe("tsoperator command with webhooks", { timeout: 180_000 }, () => {
  it("manifests: crds-only is the committed crd.yaml; --out adds 04-webhooks.yaml with the configurations and cert-manager", () => {
    const crds = spawnSync(process.execPath, [main, "manifests", webAppModule, "--crds-only"], { cwd: root, encoding: "utf8" });
    assert.equal(crds.status, 0, crds.stderr);
    const committed = parseAllDocuments(readFileSync(join(root, "samples/web-app/crd.yaml"), "utf8")).map((d) => d.toJS());
    assert.deepEqual(
      parseAllDocuments(crds.stdout).map((d) => d.toJS()),
      committed,
    );
    const out = mkdtempSync(join(tmpdir(), "tsoperator-webhook-manifests-"));
    try {
      const result = spawnSync(process.execPath, [main, "manifests", webAppModule, "--out", out], { cwd: root, encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      assert.ok(readdirSync(out).includes("04-webhooks.yaml"));
      const kinds = parseAllDocuments(readFileSync(join(out, "04-webhooks.yaml"), "utf8")).map((d) => (d.toJS() as { kind: string }).kind);
      assert.deepEqual(kinds, ["Service", "Issuer", "Certificate", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("dev: an invalid WebApp is refused by the local API server, a valid one defaulted and served as v1", async () => {
    const child = spawn(process.execPath, [main, "dev", webAppModule, "--no-watch", "--", "--log-level", "warn"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    let client: KubeClient | undefined;
    try {
      const [, kubeconfigPath] = await waitForOutput(child.stdout!, /kubeconfig: (\S+)/, 120_000);
      assert.match(stderr, /webhooks served on https:\/\/127\.0\.0\.1:\d+: tsoperator-dev-validating, tsoperator-dev-mutating/);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath!);
      client = KubeClient.fromKubeConfig(kc);
      const discovery = new Discovery(client);
      const webApps = await discovery.resolve("samples.tsoperator.dev/v2", "WebApp");
      const started = Date.now();
      let refusal = "";
      while (!refusal) {
        try {
          // Admitted only before the configurations are read: remove it and retry.
          await client.create(webApps, { metadata: { name: "bad", namespace: "default" }, spec: { image: "nginx" } });
          await client.delete(webApps, "default", "bad");
        } catch (error) {
          // "failed calling webhook": the operators (and their webhook server) are still starting (failurePolicy Fail).
          if (!/failed calling webhook/.test((error as Error).message)) refusal = (error as Error).message;
        }
        if (!refusal && Date.now() - started > 60_000) assert.fail("never refused");
        if (!refusal) await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(refusal, /denied the request: spec\.image "nginx" must name a tag/);
      const created = await client.create(webApps, { metadata: { name: "good", namespace: "default" }, spec: { image: "nginx:1.27" } });
      assert.deepEqual(created.spec, { image: "nginx:1.27", replicas: 1, port: 8080 });
      const v1 = await client.get(await discovery.resolve("samples.tsoperator.dev/v1", "WebApp"), "default", "good");
      assert.deepEqual(v1?.spec, { image: "nginx:1.27", instances: 1, port: 8080 });
      await client.close();
      client = undefined;
      child.kill("SIGINT");
      assert.equal(await exitOf(child), 0, stderr);
    } finally {
      await client?.close();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
