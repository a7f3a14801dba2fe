// Base RSS breakdown: one fresh process per module set; RSS and heap used after a forced GC.
// node --expose-gc bench/memory/base-rss.mjs [--root <a build of tsoperator>] [--case <part of a name>]
// (Node 24; one JSON line per case)
// A case is a list of modules to import, or { imports, then } where `then` is code run after them
// (`t` is tsoperator's index, `kube` its kube/ index): what an operator does before it is ready.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
const rootArg = process.argv.indexOf("--root");
const root = rootArg >= 0 ? process.argv[rootArg + 1] : join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const kubeconfig = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures", "kubeconfig", "a.yaml");
// An operator's start without a cluster: load the kubeconfig, make a client, convert a parent of a
// @KubernetesType class and a built-in ConfigMap (what the first sync does).
const operatorStart = `
  const load = t.loadClusterConfig ? () => t.loadClusterConfig({ path: ${JSON.stringify(kubeconfig)} }) : () => t.loadKubeConfig({ path: ${JSON.stringify(kubeconfig)} });
  const client = kube.KubeClient.fromKubeConfig(load());
  class Thing {}
  t.KubernetesType({ apiVersion: "example.com/v1", kind: "Thing", plural: "things", namespaced: true })(Thing);
  const registry = new t.TypeRegistry();
  globalThis.keep = [client, registry.toInstance({ apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "p", creationTimestamp: "2026-12-01T00:00:00Z" } }, Thing),
    registry.toInstance({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } })];
`;
const cases = {
  "bare node": [],
  "undici": ["undici"],
  // What the rest of tsoperator's base consists of (each alone on a bare Node):
  "dependency: winston": ["winston"],
  "dependency: prom-client": ["prom-client"],
  "dependency: yaml": ["yaml"],
  "dependency: class-transformer": ["class-transformer"],
  "dependency: tsyringe + reflect-metadata": ["reflect-metadata", "tsyringe"],
  "client-node config.js only (KubeConfig)": ["@kubernetes/client-node/dist/config.js"],
  "client-node index": ["@kubernetes/client-node"],
  "tsoperator kube/ (client, transport)": [join(root, "dist/src/kube/index.js")],
  "tsoperator cache/informer": [join(root, "dist/src/cache/informer.js")],
  "tsoperator index": [join(root, "dist/src/index.js")],
  "tsoperator index + kubeconfig, client, a parent and a ConfigMap converted (no client-node import)": {
    imports: [join(root, "dist/src/index.js"), join(root, "dist/src/kube/index.js")],
    then: operatorStart,
  },
  "the same + client-node index (an operator importing V1ConfigMap as the guides show)": {
    imports: [join(root, "dist/src/index.js"), join(root, "dist/src/kube/index.js"), "@kubernetes/client-node"],
    then: operatorStart,
  },
};
const child = `
const spec = JSON.parse(process.argv[1]);
const mods = Array.isArray(spec) ? spec : spec.imports;
const loaded = [];
for (const m of mods) loaded.push(await import(m.startsWith("/") ? "file://" + m : m));
if (!Array.isArray(spec)) await new Function("t", "kube", "return (async () => {" + spec.then + "})()")(loaded[0], loaded[1]);
for (let i = 0; i < 3; i++) globalThis.gc();
await new Promise((r) => setTimeout(r, 200));
globalThis.gc();
const v8 = await import("node:v8");
const h = v8.getHeapStatistics();
console.log(JSON.stringify({ rssMb: +(process.memoryUsage().rss / 1e6).toFixed(1), heapUsedMb: +(h.used_heap_size / 1e6).toFixed(1) }));
`;
const onlyArg = process.argv.indexOf("--case");
const only = onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined;
for (const [name, mods] of Object.entries(cases)) {
  if (only !== undefined && !name.includes(only)) continue;
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", child, JSON.stringify(mods)], { cwd: root, encoding: "utf8" });
  console.log(JSON.stringify({ case: name, ...JSON.parse(out) }));
}
