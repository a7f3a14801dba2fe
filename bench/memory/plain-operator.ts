/**
 * The benchmark's workload (BenchParent -> two ConfigMaps and a Service, status childCount) written
 * without importing a value from @kubernetes/client-node: children named by `K8sTypes`, desired
 * children as plain wire objects, `V1ObjectMeta` as a type only. The same peer protocol as
 * bench/operators/tsoperator-bench.ts ("READY" once the caches are listed; stops when stdin closes).
 * bench/memory/ready-rss.ts compares its RSS when ready with that peer's (which imported
 * `V1ConfigMap`/`V1Service` from client-node's index until it was written with `K8sTypes` too).
 */
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { createInterface } from "node:readline";
import {
  Finalize,
  FinalizeResponse,
  K8sTypes,
  KubernetesType,
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
  metadata!: V1ObjectMeta;
  spec!: { payload: string };
  status?: { observedGeneration?: number; childCount?: number };
}

const namespace = process.env.BENCH_NAMESPACE ?? "";

/** BenchParent -> ConfigMaps `<name>-a`, `<name>-b` and Service `<name>`; status childCount 3. */
@Operator({
  name: "bench-tsoperator",
  parent: BenchParent,
  children: [{ type: K8sTypes.ConfigMap }, { type: K8sTypes.Service }],
  namespace,
  finalizerName: FINALIZER,
})
export class PlainBenchOperator {
  @Sync()
  sync(req: SyncRequest<BenchParent>): SyncResponse {
    const meta = req.raw.metadata!;
    const spec = req.raw.spec as { payload: string };
    const children = childrenOf({ name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, payload: spec.payload });
    return SyncResponse.of({ childCount: 3 }).withChildren(...children);
  }

  @Finalize()
  finalize(): FinalizeResponse {
    return FinalizeResponse.done();
  }
}

async function main(): Promise<void> {
  if (!namespace) throw new Error("BENCH_NAMESPACE is required");
  const runtime = await runOperators([PlainBenchOperator], { namespace });
  createInterface({ input: process.stdin }).on("close", () => void runtime.stop());
  void runtime.done.then(() => process.exit(0));
  process.stdout.write("READY\n");
}

main().catch((err) => {
  process.stderr.write(`plain-operator: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
