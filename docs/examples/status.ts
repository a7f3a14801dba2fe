// docs/examples/status.ts — status through the status subresource, with observedGeneration.
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { CustomResource, Operator, Sync, SyncResponse, type SyncRequest } from "tsoperator";

@CustomResource({
  apiVersion: "example.com/v1",
  kind: "Volume",
  plural: "volumes",
  namespaced: true,
  schema: {
    spec: { type: "object", required: ["size"], properties: { size: { type: "integer", minimum: 1 } } },
    // observedGeneration is added by `tsoperator manifests`; declare only your own fields.
    status: { type: "object", properties: { phase: { type: "string" }, message: { type: "string" } } },
  },
  printerColumns: [{ name: "Phase", type: "string", jsonPath: ".status.phase" }],
})
export class Volume {
  metadata!: V1ObjectMeta;
  spec!: { size: number };
  status?: { phase?: string; message?: string; observedGeneration?: number };
}

@Operator({ name: "volume", parent: Volume })
export class VolumeOperator {
  @Sync()
  sync(req: SyncRequest<Volume>): SyncResponse {
    // Up to date? observedGeneration === metadata.generation means this status describes the current spec.
    const upToDate = req.parent.status?.observedGeneration === req.parent.metadata.generation;
    return SyncResponse.of({ phase: "Bound", message: upToDate ? "unchanged" : `resized to ${req.parent.spec.size}Gi` });
  }
}
