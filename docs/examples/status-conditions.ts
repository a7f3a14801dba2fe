// docs/examples/status-conditions.ts — the outcome of each sync on the parent: the Synced condition.
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { KubernetesType, Operator, Sync, SyncResponse, type Condition, type SyncRequest } from "tsoperator";

// Another project's CRD (no @CustomResource here): the condition is off unless asked for, and the
// CRD must keep status.conditions (a list of metav1.Condition, as most CRDs declare it).
@KubernetesType({ apiVersion: "backup.example.com/v1", kind: "Backup", plural: "backups", namespaced: true })
export class Backup {
  metadata!: V1ObjectMeta;
  spec!: { bucket: string };
  status?: { phase?: string; observedGeneration?: number; conditions?: Condition[] };
}

@Operator({ name: "backup", parent: Backup, statusCondition: "Synced" })
export class BackupOperator {
  @Sync()
  sync(req: SyncRequest<Backup>): SyncResponse {
    // A throw shows as Synced=False, reason SyncFailed, with this message; the next success as True.
    if (!req.parent.spec.bucket) throw new Error("spec.bucket is empty: name the bucket to write to");
    // The handler may keep conditions of its own next to the framework's: they are written as returned.
    const ready: Condition = {
      type: "Ready",
      status: "True",
      reason: "BucketReachable",
      message: `writing to ${req.parent.spec.bucket}`,
      lastTransitionTime: previousTransition(req.parent, "Ready", "True") ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    };
    return SyncResponse.of({ phase: "Scheduled", conditions: [ready] });
  }
}

/** The condition's lastTransitionTime when its status is unchanged (so an unchanged sync writes nothing). */
function previousTransition(parent: Backup, type: string, status: string): string | undefined {
  const previous = parent.status?.conditions?.find((c) => c.type === type);
  return previous?.status === status ? previous.lastTransitionTime : undefined;
}
