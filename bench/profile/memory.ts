/**
 * Where an operator's memory goes: runs the benchmark's workload in-process (P parents, 3 children
 * each), then forces a full GC and reports the live heap per cached object, and writes a heap
 * snapshot when asked. RSS (what bench/run.ts reports) also holds garbage not yet collected and
 * V8's spare heap; the live heap after GC is what the caches really cost.
 *
 *   npm run build && node --expose-gc dist/bench/profile/memory.js [--parents 1000] [--snapshot]
 */
import "reflect-metadata";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { fileURLToPath } from "node:url";
import { V1ConfigMap, V1Service } from "@kubernetes/client-node";
import { OperatorConfig, SyncResponse, FinalizeResponse, runOperators, K8sType, createLogger, type KubeObject } from "tsoperator";
import { LocalControlPlane } from "tsoperator/testing";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { applyManifests, ensureNamespace, readManifests } from "../../src/testing/manifests.js";
import { FINALIZER, PARENT_API_VERSION, PARENT_KIND, PARENT_PLURAL, childrenOf, parentName, parentObject } from "../lib/workload.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const P = Number(arg("parents", "1000"));
const ns = "mem";

const heapMb = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const cp = await LocalControlPlane.start({ controllerManager: false });
const client = KubeClient.fromKubeConfig(cp.kubeConfig);
try {
  const discovery = new Discovery(client);
  await applyManifests(client, discovery, await readManifests(fileURLToPath(new URL("../../../bench/crd.yaml", import.meta.url))));
  await ensureNamespace(client, discovery, ns);
  const parentType = K8sType.of(PARENT_API_VERSION, PARENT_KIND, { plural: PARENT_PLURAL, namespaced: true });
  let syncs = 0;
  const config = new OperatorConfig("bench-tsoperator", parentType)
    .withChild(V1ConfigMap)
    .withChild(V1Service)
    .withinNamespace(ns)
    .withConcurrency(16)
    .withFinalizer(true, FINALIZER);
  const before = heapMb();
  const runtime = await runOperators(
    [
      {
        config,
        handler: {
          sync(req) {
            syncs++;
            const m = req.raw.metadata!;
            return SyncResponse.of({ childCount: 3 }).withChildren(
              ...childrenOf({
                name: m.name!,
                namespace: m.namespace!,
                uid: m.uid!,
                payload: (req.raw.spec as { payload: string }).payload,
              }),
            );
          },
          finalize: () => FinalizeResponse.done(),
        },
      },
    ],
    { kubeConfig: cp.kubeConfig, handleSignals: false, logger: createLogger({ level: "warn" }) },
  );
  const started = heapMb();
  const parents = await discovery.resolve(PARENT_API_VERSION, PARENT_KIND);
  const names = Array.from({ length: P }, (_, i) => parentName(i));
  for (let i = 0; i < names.length; i += 16) {
    await Promise.all(names.slice(i, i + 16).map((name) => client.create(parents, parentObject(ns, name) as KubeObject)));
  }
  for (;;) {
    await runtime.idle();
    await new Promise((r) => setTimeout(r, 1000));
    const state = runtime.state();
    const objects = state.informers.reduce((n, i) => n + i.objects, 0);
    if (objects >= 4 * P && state.controllers.every((c) => c.queueDepth === 0 && c.inFlight === 0)) break;
  }
  const after = heapMb();
  const objects = runtime.state().informers.reduce((n, i) => n + i.objects, 0);
  const perObject = ((after - started) * 2 ** 20) / objects;
  console.log(
    JSON.stringify({
      parents: P,
      cachedObjects: objects,
      syncs,
      heapBeforeRuntimeMb: +before.toFixed(1),
      heapRuntimeStartedMb: +started.toFixed(1),
      heapAfterConvergeMb: +after.toFixed(1),
      liveHeapPerObjectBytes: Math.round(perObject),
      rssMb: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
      memoryUsageMb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, +(v / 2 ** 20).toFixed(1)])),
      heapSpacesMb: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, +(s.space_size / 2 ** 20).toFixed(1)])),
    }),
  );
  if (process.argv.includes("--snapshot")) console.log("heap snapshot:", writeHeapSnapshot());
  // W3: change every parent's spec; time until the operator is quiet again.
  const w3Start = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < names.length; i += 16) {
    await Promise.all(names.slice(i, i + 16).map((name) => client.patch(parents, ns, name, { spec: { payload: `${name}-v2` } }, "merge")));
  }
  for (;;) {
    await runtime.idle();
    const list = await client.list(parents, { namespace: ns });
    if (list.items.every((p) => (p.status as { observedGeneration?: number } | undefined)?.observedGeneration === p.metadata?.generation))
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({ w3Ms: Math.round(performance.now() - w3Start), w3CpuMs: Math.round((cpu.user + cpu.system) / 1000), syncs }),
  );
  await runtime.stop();
} finally {
  await client.close();
  await cp.stop();
}
