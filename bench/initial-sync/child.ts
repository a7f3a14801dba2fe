/**
 * One informer's initial sync, in a process of its own (so its RSS is its own): prints
 * `SYNCED <ms since informer start> <ms since process start> <objects> <peak RSS bytes>` and exits.
 * Args: kubeconfig path, namespace, "watchlist" | "paged".
 */
import { readFileSync } from "node:fs";
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
const started = performance.now();
const done = informer.start(stop.signal);
await informer.waitForSync();
const syncedMs = performance.now() - started;
const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
console.log(`SYNCED ${Math.round(syncedMs)} ${Math.round(performance.now())} ${informer.store.size} ${hwm}`);
stop.abort();
await done;
await client.close();
process.exit(0);
