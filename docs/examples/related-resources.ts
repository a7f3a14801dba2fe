// docs/examples/related-resources.ts — read objects you do not own, and react when they change.
import "reflect-metadata";
import type { V1ConfigMap, V1ObjectMeta, V1Secret } from "@kubernetes/client-node";
import { K8sTypes, KubernetesType, Operator, Sync, SyncResponse, index, type SyncRequest } from "tsoperator";

@KubernetesType({ apiVersion: "example.com/v1", kind: "App", plural: "apps", namespaced: true })
export class App {
  metadata!: V1ObjectMeta;
  spec!: { image: string; credentialsSecret: string; configSelector: Record<string, string> };
}

/** Which Apps name a Secret: looked up from any sync with `req.lookup(appsBySecret, name)`. */
export const appsBySecret = index(App, "apps-by-secret", (app) => app.spec.credentialsSecret);

@Operator({
  name: "app",
  parent: App,
  children: [{ type: K8sTypes.Deployment }],
  related: [
    // By name, from the parent: the Secret its spec names (same namespace).
    {
      type: K8sTypes.Secret,
      names: (app: App) => app.spec.credentialsSecret,
      // Cache only labelled Secrets, and drop what the handler never reads.
      cache: {
        labelSelector: "example.com/credentials=true",
        transform: (secret) => ({ ...secret, metadata: { ...secret.metadata, annotations: undefined } }),
      },
    },
    // By label selector, from the parent: every ConfigMap its selector matches (same namespace).
    { type: K8sTypes.ConfigMap, selector: (app: App) => ({ matchLabels: app.spec.configSelector }) },
  ],
  indexes: [appsBySecret],
})
export class AppOperator {
  @Sync()
  sync(req: SyncRequest<App>): SyncResponse {
    const secret = req.related.ofType<V1Secret>(K8sTypes.Secret).get(req.parent.spec.credentialsSecret); // a V1Secret, or undefined
    if (!secret) return SyncResponse.of({ ready: false, message: `waiting for Secret ${req.parent.spec.credentialsSecret}` });
    const configs = req.related.ofType<V1ConfigMap>(K8sTypes.ConfigMap).toArray(); // V1ConfigMap[]
    // Restart the pods when the Secret or a ConfigMap changes: a change syncs this App again.
    const version = [secret, ...configs].map((o) => o.metadata?.resourceVersion).join(".");
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: req.parent.metadata.name! },
      spec: {
        selector: { matchLabels: { app: req.parent.metadata.name! } },
        template: {
          metadata: { labels: { app: req.parent.metadata.name! }, annotations: { "example.com/config-version": version } },
          spec: { containers: [{ name: "app", image: req.parent.spec.image }] },
        },
      },
    };
    const sharing = req.lookup(appsBySecret, secret.metadata!.name!, req.parent.metadata.namespace).length;
    return SyncResponse.of({ ready: true, appsSharingTheSecret: sharing }).withChild(deployment);
  }
}
