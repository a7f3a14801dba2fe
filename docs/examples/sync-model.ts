// docs/examples/sync-model.ts — one function from a snapshot to the desired state.
import "reflect-metadata";
import type { V1Deployment, V1ObjectMeta } from "@kubernetes/client-node";
import { K8sTypes, KubernetesType, Operator, Sync, SyncResponse, type SyncRequest } from "tsoperator";

@KubernetesType({ apiVersion: "example.com/v1", kind: "App", plural: "apps", namespaced: true })
export class App {
  metadata!: V1ObjectMeta;
  spec!: { image: string; replicas: number; expose?: boolean };
}

@Operator({ name: "app", parent: App, children: [{ type: K8sTypes.Deployment }, { type: K8sTypes.Service }] })
export class AppOperator {
  @Sync()
  sync(req: SyncRequest<App>): SyncResponse {
    const { metadata, spec } = req.parent;
    const name = metadata.name!;
    // Read what exists (from the cache, typed): never write from here, only describe.
    const deployment = req.children.ofType<V1Deployment>(K8sTypes.Deployment).first();
    const ready = deployment?.status?.readyReplicas ?? 0;

    const response = SyncResponse.of({ readyReplicas: ready }).withChild({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: spec.image }] } },
      },
    });
    // The response is the COMPLETE desired set: when expose turns false, the Service is deleted.
    if (spec.expose) {
      response.withChild({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ port: 80 }] },
      });
    }
    // Look again later even without events (e.g. to poll something outside the cluster).
    if (ready < spec.replicas) response.withResyncAfter(30_000);
    return response;
  }
}
