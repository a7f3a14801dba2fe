// docs/examples/deploying.ts — what `tsoperator manifests dist/operators.js` reads.
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { CustomResource, K8sTypes, Operator, Sync, SyncResponse, UpdateStrategy } from "tsoperator";

@CustomResource({
  apiVersion: "example.com/v1",
  kind: "MicroService",
  plural: "microservices",
  namespaced: true,
  schema: {
    spec: {
      type: "object",
      required: ["image"],
      properties: {
        image: { type: "string", minLength: 1 },
        replicas: { type: "integer", minimum: 0, default: 1 },
      },
    },
    status: { type: "object", properties: { ready: { type: "boolean" } } },
  },
  printerColumns: [
    { name: "Image", type: "string", jsonPath: ".spec.image" },
    { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
  ],
  shortNames: ["svc2"],
})
export class MicroService {
  metadata!: V1ObjectMeta;
  spec!: { image: string; replicas?: number };
}

@Operator({ name: "microservice", parent: MicroService, children: [{ type: K8sTypes.Deployment, update: UpdateStrategy.Apply }] })
export class MicroServiceOperator {
  @Sync()
  sync(): SyncResponse {
    return SyncResponse.of({ ready: false });
  }
}
