/**
 * The bench operator's caches alone, in a process of their own, to measure what a cache transform
 * saves (issue 15, "child caches that keep only what is needed"): an InformerPool with the scopes
 * tsoperator's bench operator uses (parents in the namespace; ConfigMaps and Services with the
 * tracking label, indexed by it, keeping the operator's managedFields entries), with or without
 * string interning. Prints `CACHE <objects> <heap before> <heap after> <rss after>` (heap used
 * after forced GCs: run with --expose-gc) and exits.
 * Args: kubeconfig path, namespace, "intern" | "plain". Run by bench/lib/scale.ts after W2.
 */
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { KubeConfig } from "@kubernetes/client-node";
import { InformerPool } from "../../src/cache/informer-pool.js";
import { KubeClient, type ResourceType } from "../../src/kube/index.js";
import { noopLogger } from "../../src/observability/logger.js";
import { PARENT_API_VERSION, PARENT_KIND, PARENT_PLURAL, TRACKING_LABEL } from "../lib/workload.js";

const [kubeconfigPath, namespace, mode] = process.argv.slice(2);
/** The bench operator's field manager (its operator name). */
const FIELD_MANAGER = "bench-tsoperator";
const types: ResourceType[] = [
  {
    group: "bench.tsoperator.dev",
    version: "v1",
    apiVersion: PARENT_API_VERSION,
    kind: PARENT_KIND,
    plural: PARENT_PLURAL,
    namespaced: true,
  },
  { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { group: "", version: "v1", apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
];
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath!);
const client = KubeClient.fromKubeConfig(kc);
const pool = new InformerPool(client, noopLogger, undefined, { internStrings: mode === "intern" });
const [parents, ...children] = types;
pool.informerFor(parents!, { namespace: namespace!, fieldManagers: [FIELD_MANAGER] });
for (const t of children)
  pool.informerFor(t, {
    namespace: namespace!,
    labelSelector: TRACKING_LABEL,
    indexLabels: [TRACKING_LABEL],
    fieldManagers: [FIELD_MANAGER],
  });

/** Heap used after full GCs. */
const liveHeap = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  return getHeapStatistics().used_heap_size;
};
const before = liveHeap();
const stop = new AbortController();
const running = pool.run(stop.signal);
await pool.waitForSync(stop.signal);
const objects = pool.all().reduce((n, informer) => n + informer.store.size, 0);
const after = liveHeap();
const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
console.log(`CACHE ${objects} ${before} ${after} ${rss}`);
stop.abort();
await running.catch(() => undefined);
await client.close();
process.exit(0);
