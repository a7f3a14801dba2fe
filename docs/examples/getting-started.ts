// docs/examples/getting-started.ts — a complete operator: every Website gets a ConfigMap.
import "reflect-metadata";
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

// Run it: `node dist/docs/examples/getting-started.js` (kubeconfig from KUBECONFIG or ~/.kube/config),
// or `npx tsoperator run dist/docs/examples/getting-started.js` / `npx tsoperator dev ...`.
export async function main(): Promise<void> {
  const runtime = await runOperators([WebsiteOperator]);
  await runtime.done; // Ctrl-C drains in-flight syncs and stops
}
