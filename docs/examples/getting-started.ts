// docs/examples/getting-started.ts — a complete operator: every Website gets a ConfigMap.
// Save it as src/operator.ts in your project; `npx tsc` compiles it to dist/operator.js.
import "reflect-metadata";
import { fileURLToPath } from "node:url";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { KubernetesType, Operator, Sync, SyncResponse, runOperators, type SyncRequest } from "tsoperator";

@KubernetesType({ apiVersion: "example.com/v1", kind: "Website", plural: "websites", namespaced: true })
export class Website {
  metadata!: V1ObjectMeta;
  spec!: { title: string };
  status?: { published: boolean };
}

@Operator({ name: "website", parent: Website, children: [{ type: { apiVersion: "v1", kind: "ConfigMap" } }] })
export class WebsiteOperator {
  @Sync()
  sync(req: SyncRequest<Website>): SyncResponse {
    const name = req.parent.metadata.name!;
    return SyncResponse.of({ published: true }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${name}-page` },
      data: { "index.html": `<h1>${req.parent.spec.title}</h1>` },
    });
  }
}

/** Runs the operator until Ctrl-C (SIGINT/SIGTERM drain in-flight syncs, then it stops). */
export async function main(): Promise<void> {
  const runtime = await runOperators([WebsiteOperator]); // KUBECONFIG, ~/.kube/config or in-cluster
  await runtime.done;
}

// `node dist/operator.js` runs main(); `tsoperator run|dev|manifests dist/operator.js` import the
// module to find its operators and must not start it twice, hence the check.
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
