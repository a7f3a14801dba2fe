/**
 * The NestJS sample (samples/nest-app, compiled to CommonJS `.cjs` by the root build) as a user
 * runs it: a separate Node process that `require()`s tsoperator (ESM) — which proves a CommonJS
 * Nest app can load it — boots, reconciles a parent through an operator whose dependency comes
 * from Nest's injector, and on SIGTERM drains and exits **by itself** with code 0: nothing (watch,
 * timer, socket) is left running to keep the event loop alive.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, readManifests } from "../../src/testing/manifests.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const app = join(root, "dist/samples/nest-app/src/main.cjs");

describe("NestJS sample app on a local control plane", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let client: KubeClient;
  let discovery: Discovery;

  before(async () => {
    cp = await LocalControlPlane.start();
    client = KubeClient.fromKubeConfig(cp.kubeConfig);
    discovery = new Discovery(client);
    await applyManifests(client, discovery, await readManifests(join(root, "samples/greeting/crd.yaml")));
  });

  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it("boots, reconciles with an injected service, and shuts down leaving nothing running", async () => {
    const child = spawn(process.execPath, [app], {
      cwd: root,
      env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const until = async (what: string, check: () => Promise<unknown> | unknown, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}) while waiting for ${what}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await until("bootstrap", () => stdout.includes('nest-app: operators running ["nest-greeting"]'));
      await until("the injectables report", () => stdout.includes("nest-app: injected metrics are the runtime's: true"));
      const greetings = await discovery.resolve("samples.tsoperator.dev/v1", "Greeting");
      await client.create(greetings, { metadata: { name: "ada", namespace: "default" }, spec: { name: "Ada", language: "fr" } });
      const configMaps = await discovery.resolve("v1", "ConfigMap");
      let text: unknown;
      await until("the ConfigMap", async () => {
        text = ((await client.get(configMaps, "default", "ada-nest-greeting"))?.data as { text?: string } | undefined)?.text;
        return text;
      });
      assert.equal(text, "Bonjour, Ada!");
      await until(
        "the status",
        async () => ((await client.get(greetings, "default", "ada"))?.status as { text?: string } | undefined)?.text === "Bonjour, Ada!",
      );
      // The app's own service recorded an Event through the OperatorEvents Nest injected into it.
      const events = await discovery.resolve("v1", "Event");
      await until("the service's Event", async () =>
        (await client.list(events, { namespace: "default" })).items.some(
          (e) => e.reason === "Greeted" && e.message === "Bonjour, Ada!" && (e.involvedObject as { name?: string }).name === "ada",
        ),
      );
    } finally {
      child.kill("SIGTERM");
    }
    const started = Date.now();
    const { code, signal } = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`still running 20 s after SIGTERM:\n${stdout}\n${stderr}`)), 20_000),
      ),
    ]).finally(() => child.kill("SIGKILL"));
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    assert.ok(Date.now() - started < 20_000);
    // One instance each: the operator and its dependency came from Nest's injector only.
    assert.match(stdout, /nest-app: stopped; running=false instances: operator=1 service=1/);
    assert.doesNotMatch(stderr, /ERR_REQUIRE|Error/);
  });
});
