/**
 * The tsoperator peer of the benchmark (bench/README.md): the workload written the way a user
 * writes it, against the public API only. One `@Sync` returning the three children and the
 * status; `@Finalize` (which makes the framework add and remove the finalizer) with nothing to
 * clean up outside the cluster.
 *
 * Peer protocol: "READY" on stdout once the caches are listed, then "SYNCS <n>" (handler calls
 * so far) at most every 50 ms while it changes.
 */
import "reflect-metadata";
import { V1ConfigMap, V1Service, type V1ObjectMeta } from "@kubernetes/client-node";
import {
  createLogger,
  Finalize,
  FinalizeResponse,
  KubernetesType,
  Metrics,
  Operator,
  runOperators,
  Sync,
  SyncResponse,
  type SyncRequest,
} from "tsoperator";
import { FINALIZER, PARENT_API_VERSION, PARENT_KIND, PARENT_PLURAL, childrenOf } from "../lib/workload.js";

/** The BenchParent custom resource (bench/crd.yaml). */
@KubernetesType({ apiVersion: PARENT_API_VERSION, kind: PARENT_KIND, plural: PARENT_PLURAL, namespaced: true })
export class BenchParent {
  apiVersion = PARENT_API_VERSION;
  kind = PARENT_KIND;
  metadata!: V1ObjectMeta;
  spec!: { payload: string };
  status?: { observedGeneration?: number; childCount?: number };
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const namespace = flag("namespace", process.env.BENCH_NAMESPACE ?? "");
const concurrency = Number(flag("concurrency", "16"));
// The soak reads the operator's /metrics (RSS, heap, work-queue depth) on this port; off by default.
const healthPort = process.env.BENCH_HEALTH_PORT ? Number(process.env.BENCH_HEALTH_PORT) : undefined;
let handled = 0;

/** BenchParent -> ConfigMaps `<name>-a`, `<name>-b` and Service `<name>`; status childCount 3. */
@Operator({
  name: "bench-tsoperator",
  parent: BenchParent,
  children: [{ type: V1ConfigMap }, { type: V1Service }],
  namespace,
  concurrency,
  finalizerName: FINALIZER,
})
export class BenchOperator {
  @Sync()
  sync(req: SyncRequest<BenchParent>): SyncResponse {
    handled++;
    const meta = req.raw.metadata!;
    const spec = req.raw.spec as { payload: string };
    // The framework adds the ownerReference and tracking label too; the shared builder sets the
    // same values, so the desired objects are identical to what every other peer writes.
    const children = childrenOf({ name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, payload: spec.payload });
    return SyncResponse.of({ childCount: 3 }).withChildren(...children);
  }

  @Finalize()
  finalize(_req: SyncRequest<BenchParent>): FinalizeResponse {
    handled++;
    return FinalizeResponse.done();
  }
}

/**
 * Writes each change of the client's concurrency limit to stderr ("limit <n> at <ms>"), so the
 * fault suite can tell how the limit moved under 429 (tsoperator_client_concurrency_limit).
 */
function logLimitChanges(metrics: Metrics): void {
  const started = performance.now();
  let last: number | undefined;
  setInterval(async () => {
    const gauge = metrics.registry.getSingleMetric("tsoperator_client_concurrency_limit");
    const value = (await gauge?.get())?.values[0]?.value;
    if (value === undefined || value === last) return;
    last = value;
    process.stderr.write(`limit ${value} at ${Math.round(performance.now() - started)}\n`);
  }, 20).unref();
}

async function main(): Promise<void> {
  if (!namespace) throw new Error("--namespace (or BENCH_NAMESPACE) is required");
  const metrics = new Metrics();
  logLimitChanges(metrics);
  // BENCH_ADAPTIVE_CONCURRENCY=off: the fixed limit the fault suite compares with (the pool's connections only).
  const adaptive = process.env.BENCH_ADAPTIVE_CONCURRENCY !== "off";
  const runtime = await runOperators([BenchOperator], {
    namespace,
    concurrency,
    metrics,
    ...(adaptive ? {} : { client: { adaptiveConcurrency: false } }),
    ...(healthPort !== undefined ? { healthPort, healthHost: "127.0.0.1" } : {}),
    // The fault suite and the soak keep the operator's log (stdout carries the peer protocol).
    ...(process.env.BENCH_LOG_STDERR === "1" ? { logger: createLogger({ stream: process.stderr, format: "json" }) } : {}),
  });
  // Stop when the harness goes away (its end of our stdin closes), as on SIGTERM.
  process.stdin.on("end", () => void runtime.stop()).resume();
  process.stdout.write("READY\n");
  let last = -1;
  setInterval(() => {
    if (handled !== last) process.stdout.write(`SYNCS ${(last = handled)}\n`);
  }, 50);
}

main().catch((err) => {
  process.stderr.write(`tsoperator-bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
