/**
 * One operator value works everywhere a decorated class does (issue 9, item 13): what
 * `defineOperator(config, handler)` returns is run by `runOperators`, `TestKit`, the Nest module
 * (`TsoperatorModule`) and the `tsoperator` command (`run` and `manifests` on a compiled module
 * that exports it). Each entry point gets its own parent kind, so no two operators share parents.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { parseAllDocuments } from "yaml";
import { runOperators } from "../../src/index.js";
import { TsoperatorModule } from "../../src/nest/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { definedOperator } from "./fixtures/defined-operator.js";
import { E2E_API_VERSION, parentOf, testCrd } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
const fixture = join(root, "dist/test/e2e/fixtures/defined-operator.js");
const KINDS = ["DefRun", "DefKit", "DefNest", "DefCli"];

describe("a defineOperator result runs wherever a decorated class does", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture("warn");

  /** Creates a parent of `kind` and waits for the ConfigMap and status its operator writes. */
  async function converges(kind: string, name: string): Promise<void> {
    await kit.createParent(parentOf(kind, name));
    await kit.eventuallyMatches("v1", "ConfigMap", `${name}-cm`, { data: { operator: `def-${kind.toLowerCase()}` } });
    await kit.eventuallyMatches(E2E_API_VERSION, kind, name, { status: { seenBy: `def-${kind.toLowerCase()}`, observedGeneration: 1 } });
  }

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: KINDS.map((k) => testCrd(k)),
      operators: [definedOperator("DefKit")],
      logger: logs.logger,
    });
  });
  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("TestKit", async () => {
    await converges("DefKit", "kit");
  });

  it("runOperators", async () => {
    const runtime = await runOperators([definedOperator("DefRun")], {
      kubeConfig: cp.kubeConfig,
      handleSignals: false,
      logger: logs.logger,
    });
    try {
      await converges("DefRun", "run");
    } finally {
      await runtime.stop();
    }
  });

  it("the Nest module", async () => {
    @Module({
      imports: [TsoperatorModule.forRoot({ operators: [definedOperator("DefNest")], kubeConfig: cp.kubeConfig, logger: logs.logger })],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      await converges("DefNest", "nest");
    } finally {
      await app.close();
    }
  });

  it("tsoperator manifests and run on a module exporting it", async () => {
    const manifests = spawnSync(process.execPath, [main, "manifests", fixture], { cwd: root, encoding: "utf8" });
    assert.equal(manifests.status, 0, manifests.stderr);
    const kinds = parseAllDocuments(manifests.stdout).map((d) => (d.toJS() as { kind: string }).kind);
    assert.ok(kinds.includes("CustomResourceDefinition") && kinds.includes("ClusterRole"), kinds.join(","));

    const child = spawn(process.execPath, [main, "run", fixture, "--namespace", kit.namespace, "--log-format", "json"], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await Promise.race([
        converges("DefCli", "cli"),
        exited.then((code) => Promise.reject(new Error(`tsoperator run exited (${code}): ${stderr}`))),
      ]);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
  });
});
