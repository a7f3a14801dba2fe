// Base RSS breakdown: one fresh process per module set; RSS and heap used after a forced GC.
// node --expose-gc bench/memory/base-rss.mjs  (Node 24; prints one JSON line per case)
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const cases = {
  "bare node": [],
  "undici": ["undici"],
  "client-node config.js only (KubeConfig)": ["@kubernetes/client-node/dist/config.js"],
  "client-node index": ["@kubernetes/client-node"],
  "tsoperator kube/ (client, transport)": [join(root, "dist/src/kube/index.js")],
  "tsoperator cache/informer": [join(root, "dist/src/cache/informer.js")],
  "tsoperator index": [join(root, "dist/src/index.js")],
};
const child = `
const mods = JSON.parse(process.argv[1]);
for (const m of mods) await import(m.startsWith("/") ? "file://" + m : m);
for (let i = 0; i < 3; i++) globalThis.gc();
await new Promise((r) => setTimeout(r, 200));
globalThis.gc();
const v8 = await import("node:v8");
const h = v8.getHeapStatistics();
console.log(JSON.stringify({ rssMb: +(process.memoryUsage().rss / 1e6).toFixed(1), heapUsedMb: +(h.used_heap_size / 1e6).toFixed(1) }));
`;
for (const [name, mods] of Object.entries(cases)) {
  const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", child, JSON.stringify(mods)], { cwd: root, encoding: "utf8" });
  console.log(JSON.stringify({ case: name, ...JSON.parse(out) }));
}
