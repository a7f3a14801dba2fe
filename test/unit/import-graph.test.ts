/**
 * What an operator that never imports @kubernetes/client-node loads of it: nothing of the index,
 * the kubeconfig module or the generated API, and of the generated models only the files of the
 * kinds it converts (issue 15, base RSS: client-node's index costs ~75-80 MB). A fresh Node process
 * records every module URL it resolves (a `module.registerHooks` resolve hook, which sees both
 * `import` and `require`), imports tsoperator, loads a kubeconfig with tsoperator's own loader,
 * makes a client and converts a parent of a `@KubernetesType` class and a built-in ConfigMap.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const index = new URL("../../src/index.js", import.meta.url).href;
const kubeIndex = new URL("../../src/kube/index.js", import.meta.url).href;
const kubeconfig = fileURLToPath(new URL("../../../test/fixtures/kubeconfig/a.yaml", import.meta.url));

/** Runs `body` after importing tsoperator as `t` (and its kube client layer as `kube`); returns the files of `pkg` resolved. */
function clientNodeFilesLoadedBy(body: string, pkg = "@kubernetes/client-node"): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = new Set();
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
    const t = await import(${JSON.stringify(index)});
    const kube = await import(${JSON.stringify(kubeIndex)});
    ${body}
    const files = [...seen].filter((u) => u.includes("/node_modules/${pkg}/")).map((u) => u.split("/node_modules/${pkg}/")[1]);
    console.log(JSON.stringify(files));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, HOME: "/nonexistent" },
  });
  return JSON.parse(out.trim().split("\n").at(-1) ?? "[]") as string[];
}

const heavy = /^dist\/(index|config|api|gen\/index|gen\/models\/all|gen\/models\/ObjectSerializer|serializer)\.js$/;

describe("import graph of an operator without client-node", () => {
  it("loads none of client-node's index, config or generated API; only the model files of the kinds it converts", () => {
    const files = clientNodeFilesLoadedBy(`
      const cluster = t.loadClusterConfig({ path: ${JSON.stringify(kubeconfig)} });
      const client = kube.KubeClient.fromKubeConfig(cluster);
      class Thing {}
      t.KubernetesType({ apiVersion: "example.com/v1", kind: "Thing", plural: "things", namespaced: true })(Thing);
      const registry = new t.TypeRegistry();
      const parent = registry.toInstance({ apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "p", creationTimestamp: "2026-12-01T00:00:00Z" }, spec: {} }, Thing);
      const cm = registry.toInstance({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } });
      registry.toWire(parent); registry.toWire(cm);
      await client.close();
    `);
    const loadedHeavy = files.filter((f) => heavy.test(f));
    assert.deepEqual(loadedHeavy, [], `heavy client-node modules loaded: ${loadedHeavy.join(", ")}`);
    for (const f of files) assert.match(f, /^(package\.json|dist\/gen\/models\/[A-Za-z0-9]+\.js)$/, `unexpected client-node file ${f}`);
    assert.ok(files.includes("dist/gen/models/V1ConfigMap.js"), "the ConfigMap model is loaded to convert a ConfigMap");
    assert.ok(files.length <= 8, `a handful of model files, got ${files.length}: ${files.join(", ")}`);
  });

  it("in a pod: no yaml (no kubeconfig file to parse), and of undici only the pool and proxy dispatchers", () => {
    const body = `
      const { mkdtempSync, writeFileSync } = await import("node:fs");
      const dir = mkdtempSync("/tmp/tsoperator-graph-");
      writeFileSync(dir + "/token", "t");
      const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "1", HOME: "/nonexistent" };
      const client = kube.KubeClient.fromKubeConfig(t.loadClusterConfig({ env, serviceAccountDir: dir }), { maxRetries: 0 });
      await client.request("GET", "/version").catch(() => undefined);
      await client.close();
    `;
    assert.deepEqual(clientNodeFilesLoadedBy(body, "yaml"), []);
    const undici = clientNodeFilesLoadedBy(body, "undici");
    assert.ok(undici.includes("lib/dispatcher/pool.js"), "the pool was made (a request was sent)");
    assert.ok(!undici.includes("index.js"), "undici's index (fetch, WebSocket, cache, mocks) is not loaded");
  });

  it("the hook sees client-node when it is imported (the check above can fail)", () => {
    const files = clientNodeFilesLoadedBy(`await import("@kubernetes/client-node");`);
    assert.ok(files.includes("dist/index.js"));
    assert.ok(files.includes("dist/config.js"));
  });
});
