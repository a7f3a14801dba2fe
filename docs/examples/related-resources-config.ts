// docs/examples/related-resources-config.ts — the same without decorators, plus a map function.
import type { V1Secret } from "@kubernetes/client-node";
import { K8sType, K8sTypes, OperatorConfig, SyncResponse, defineOperator, type KubeObject, type SyncRequest } from "tsoperator";

const Tenant = K8sType.of("example.com/v1", "Tenant", { plural: "tenants", namespaced: true });

export const tenantOperator = defineOperator(
  new OperatorConfig("tenant", Tenant).withRelated(K8sTypes.Secret, {
    // A map from a related object to the parents it concerns (controller-runtime's
    // EnqueueRequestsFromMapFunc): here the Secret names its tenants in an annotation.
    parentsOf: (secret: V1Secret) =>
      (secret.metadata?.annotations?.["example.com/tenants"] ?? "")
        .split(",")
        .filter(Boolean)
        .map((name) => ({ name })), // same namespace as the Secret
    // Metadata only: names, labels and annotations are cached, the Secret's data is not.
    cache: { metadataOnly: true, fieldSelector: "type=Opaque" },
  }),
  (req: SyncRequest<KubeObject>) => SyncResponse.of({ secrets: req.related.ofType<V1Secret>(K8sTypes.Secret).count() }),
);
