/**
 * The tsoperator peer of the benchmark (bench/README.md): the workload written the way a user
 * writes it, against the public API only. One `@Sync` returning the three children and the
 * status; `@Finalize` (which makes the framework add and remove the finalizer) with nothing to
 * clean up outside the cluster. Child types are named with `K8sTypes` and client-node is imported
 * for types only, as the guides show: a value import of its index (`V1ConfigMap`) loads all of it.
 *
 * Peer protocol: "READY" on stdout once the caches are listed, then "SYNCS <n>" (handler calls
 * so far) at most every 50 ms while it changes.
 *
 * Fault-suite switches (bench/faults; none changes the workload when absent):
 * - `--faults`: a parent annotated `bench.tsoperator.dev/fault: hang` gets a sync that never
 *   returns (it ignores its abort signal) until the harness sends `RELEASE` on stdin; the process
 *   prints `HUNG <name>` when such a call starts;
 * - `--handler-timeout-ms N`: the operator's handler timeout (default the framework's);
 * - `--finalize-delay-ms N`: finalize takes N ms, then prints `FINALIZED <uid>` (counts the runs);
 * - `--recreate`: the ConfigMaps are written with the Recreate strategy (delete, then create);
 * - `--leader-election <identity>` (and `--lease-duration-s N`): run only while holding the Lease
 *   `bench-leader` in the namespace; prints `LEADING` / `NOT LEADING` when that changes.
 */
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { createInterface } from "node:readline";
import { getHeapStatistics } from "node:v8";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createLogger,
  Finalize,
  FinalizeResponse,
  K8sTypes,
  KubernetesType,
  Metrics,
  Operator,
  runOperators,
  Sync,
  SyncResponse,
  UpdateStrategy,
  type LeaderElectionOptions,
  type SyncRequest,
} from "tsoperator";
import { FAULT_ANNOTATION, FINALIZER, PARENT_API_VERSION, PARENT_KIND, PARENT_PLURAL, childrenOf } from "../lib/workload.js";

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
const faultMode = process.argv.includes("--faults");
const handlerTimeoutMs = flag("handler-timeout-ms", "") ? Number(flag("handler-timeout-ms", "")) : undefined;
const finalizeDelayMs = Number(flag("finalize-delay-ms", "0"));
const recreate = process.argv.includes("--recreate");
const identity = flag("leader-election", "");
const leaseDurationSeconds = Number(flag("lease-duration-s", "0")) || undefined;
let handled = 0;

/** Hung syncs wait for this; `RELEASE` on stdin resolves it (and arms a new one). */
let released = gate();

function gate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** BenchParent -> ConfigMaps `<name>-a`, `<name>-b` and Service `<name>`; status childCount 3. */
@Operator({
  name: "bench-tsoperator",
  parent: BenchParent,
  children: [{ type: K8sTypes.ConfigMap, ...(recreate ? { update: UpdateStrategy.Recreate } : {}) }, { type: K8sTypes.Service }],
  namespace,
  concurrency,
  finalizerName: FINALIZER,
  ...(handlerTimeoutMs ? { handlerTimeoutMs } : {}),
})
export class BenchOperator {
  @Sync()
  async sync(req: SyncRequest<BenchParent>): Promise<SyncResponse> {
    handled++;
    const meta = req.raw.metadata!;
    if (faultMode && meta.annotations?.[FAULT_ANNOTATION] === "hang") {
      // A handler stuck on something outside the cluster: it ignores its abort signal.
      process.stdout.write(`HUNG ${meta.name}\n`);
      await released.promise;
    }
    const spec = req.raw.spec as { payload: string };
    // The framework adds the ownerReference and tracking label too; the shared builder sets the
    // same values, so the desired objects are identical to what every other peer writes.
    const children = childrenOf({ name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, payload: spec.payload });
    return SyncResponse.of({ childCount: 3 }).withChildren(...children);
  }

  @Finalize()
  async finalize(req: SyncRequest<BenchParent>): Promise<FinalizeResponse> {
    handled++;
    if (finalizeDelayMs > 0) {
      await sleep(finalizeDelayMs);
      process.stdout.write(`FINALIZED ${req.raw.metadata!.uid}\n`);
    }
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
  const leaderElection: LeaderElectionOptions | undefined = identity
    ? { namespace, name: "bench-leader", identity, ...(leaseDurationSeconds ? leaseTimings(leaseDurationSeconds) : {}) }
    : undefined;
  const runtime = await runOperators([BenchOperator], {
    namespace,
    concurrency,
    metrics,
    ...(adaptive ? {} : { client: { adaptiveConcurrency: false } }),
    ...(healthPort !== undefined ? { healthPort, healthHost: "127.0.0.1" } : {}),
    // The fault suite and the soak keep the operator's log (stdout carries the peer protocol).
    ...(process.env.BENCH_LOG_STDERR === "1" ? { logger: createLogger({ stream: process.stderr, format: "json" }) } : {}),
    ...(leaderElection ? { leaderElection } : {}),
  });
  // Stop when the harness goes away (its end of our stdin closes), as on SIGTERM.
  const input = createInterface({ input: process.stdin });
  input.on("close", () => void runtime.stop());
  input.on("line", (line) => {
    if (line === "HEAP") return void process.stdout.write(`${heapLine()}\n`);
    if (line !== "RELEASE") return;
    released.resolve();
    released = gate();
  });
  // Exit once stopped (SIGTERM, stdin closed, a lost Lease), as a deployed operator does: the
  // intervals below would keep the process alive.
  void runtime.done.then(() => process.exit(0));
  process.stdout.write("READY\n");
  if (leaderElection) {
    let leading = false;
    setInterval(() => {
      if (runtime.state().leading === leading) return;
      leading = !leading;
      process.stdout.write(leading ? "LEADING\n" : "NOT LEADING\n");
    }, 20);
  }
  let last = -1;
  setInterval(() => {
    if (handled !== last) process.stdout.write(`SYNCS ${(last = handled)}\n`);
  }, 50);
}

/** `HEAP <used heap bytes> <rss bytes>` after forced full GCs (when run with --expose-gc; `gc` is undefined otherwise). */
function heapLine(): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice: the first pass can leave objects whose finalizers or weak callbacks free more on the second.
  gc?.();
  gc?.();
  return `HEAP ${getHeapStatistics().used_heap_size} ${process.memoryUsage().rss}${gc ? "" : " no-gc"}`;
}

/** Renew deadline and retry period scaled to a short lease (the defaults are 15 s, 10 s, 2 s). */
function leaseTimings(
  seconds: number,
): Pick<LeaderElectionOptions, "leaseDurationSeconds" | "renewDeadlineSeconds" | "retryPeriodSeconds"> {
  return { leaseDurationSeconds: seconds, renewDeadlineSeconds: (seconds * 2) / 3, retryPeriodSeconds: seconds / 7.5 };
}

main().catch((err) => {
  process.stderr.write(`tsoperator-bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
