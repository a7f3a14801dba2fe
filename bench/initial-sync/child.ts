/**
 * One informer's initial sync, in a process of its own (so its RSS is its own): prints
 * `SYNCED <ms since informer start> <ms since process start> <objects> <peak RSS bytes> <live heap bytes per
 * cached object> <live heap bytes before start>` and exits (heap after a forced GC: run with --expose-gc).
 * Args: kubeconfig path, namespace, "watchlist" | "paged".
 */
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { KubeConfig } from "@kubernetes/client-node";
import { Informer } from "../../src/cache/informer.js";
import { KubeClient, type ResourceType } from "../../src/kube/index.js";

const [kubeconfigPath, namespace, mode] = process.argv.slice(2);
const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath!);
const client = KubeClient.fromKubeConfig(kc);
const informer = new Informer({ client, type: configMaps, namespace: namespace!, watchList: mode === "watchlist" });
const stop = new AbortController();
/** Heap used after a full GC (the process runs with --expose-gc). */
const liveHeap = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  return getHeapStatistics().used_heap_size;
};
const heapBefore = liveHeap();
const started = performance.now();
const done = informer.start(stop.signal);
await informer.waitForSync();
const syncedMs = performance.now() - started;
const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
const heapAfter = liveHeap();
const perObject = Math.round((heapAfter - heapBefore) / Math.max(1, informer.store.size));
console.log(`SYNCED ${Math.round(syncedMs)} ${Math.round(performance.now())} ${informer.store.size} ${hwm} ${perObject} ${heapBefore}`);
stop.abort();
await done;
await client.close();
process.exit(0);
