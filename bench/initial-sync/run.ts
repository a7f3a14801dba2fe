/**
 * Initial sync of one informer over N ConfigMaps, streaming list (WatchList) against paginated LIST:
 * the operator's time to synced and peak RSS, and the API server's CPU time and peak RSS during the
 * sync (sampled from /proc every 20 ms). Writes bench/results/initial-sync.json.
 *   node dist/bench/initial-sync/run.js [--objects 10000] [--reps 2]
 * Timings are noisy on a shared machine: the results file records the load average.
 */
import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeClient, type ResourceType } from "../../src/kube/index.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { readProcUsage } from "../lib/peer-process.js";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const objects = arg("objects", 10_000);
const reps = arg("reps", 2);
const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const namespaces: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

interface Sample {
  mode: string;
  objects: number;
  syncedMs: number;
  processMs: number;
  operatorPeakRssMb: number;
  /** Live heap (after a forced GC) per cached object. */
  heapPerObjectBytes: number;
  /** Live heap after imports, before the informer starts. */
  heapBaseMb: number;
  apiServerCpuMs: number;
  apiServerPeakRssMb: number;
  apiServerRssBeforeMb: number;
  load1: number;
}

const cp = await LocalControlPlane.start({ controllerManager: false });
const client = KubeClient.fromKubeConfig(cp.kubeConfig);
const samples: Sample[] = [];
try {
  const ns = "sync";
  await client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const t0 = Date.now();
  let next = 0;
  const payload = "x".repeat(512);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < objects) {
        const i = next++;
        await client.create(configMaps, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `cm-${i}`, namespace: ns, labels: { app: "bench" } },
          data: { payload, i: String(i) },
        });
      }
    }),
  );
  console.error(`created ${objects} ConfigMaps in ${Date.now() - t0} ms`);
  const apiPid = cp.pids.apiServer;
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of rep % 2 === 0 ? ["watchlist", "paged"] : ["paged", "watchlist"]) {
      const before = await readProcUsage(apiPid);
      let peak = before.rssBytes;
      const sampler = setInterval(() => {
        void readProcUsage(apiPid).then((u) => (peak = Math.max(peak, u.rssBytes)));
      }, 20);
      const line = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--expose-gc", join(here, "child.js"), cp.kubeconfigPath, ns, mode], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}: ${out}`))));
      });
      clearInterval(sampler);
      const after = await readProcUsage(apiPid);
      const [, synced, processMs, count, hwm, heapPerObject, heapBase] = line.split(" ").map(Number);
      const s: Sample = {
        mode,
        objects: count!,
        syncedMs: synced!,
        processMs: processMs!,
        operatorPeakRssMb: Math.round(hwm! / 1e6),
        heapPerObjectBytes: heapPerObject!,
        heapBaseMb: Math.round(heapBase! / 1e6),
        apiServerCpuMs: Math.round(after.cpuMs - before.cpuMs),
        apiServerPeakRssMb: Math.round(Math.max(peak, after.rssBytes) / 1e6),
        apiServerRssBeforeMb: Math.round(before.rssBytes / 1e6),
        load1: Number(loadavg()[0]!.toFixed(1)),
      };
      console.error(JSON.stringify(s));
      samples.push(s);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
} finally {
  await client.close();
  await cp.stop();
}
const out = join(here, "..", "..", "..", "bench", "results");
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, process.argv.includes("--out") ? process.argv[process.argv.indexOf("--out") + 1]! : "initial-sync.json"),
  `${JSON.stringify({ date: new Date().toISOString(), objects, reps, samples }, null, 2)}\n`,
);
