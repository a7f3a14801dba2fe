// docs/examples/children-and-update-strategies.ts — one update strategy per child type.
import "reflect-metadata";
import { V1ConfigMap, V1Job, V1Pod, V1Secret, V1Service } from "@kubernetes/client-node";
import { ChildConfig, K8sType, Operator, OperatorConfig, Sync, SyncResponse, UpdateStrategy, defineOperator } from "tsoperator";

const Database = K8sType.of("example.com/v1", "Database", { plural: "databases", namespaced: true });

@Operator({
  name: "database",
  parent: Database,
  children: [
    { type: V1Service }, // Apply (default): server-side apply
    { type: V1ConfigMap, update: UpdateStrategy.Replace }, // PUT of the whole object
    { type: V1Pod, update: UpdateStrategy.Recreate }, // delete, then create on the next sync
    { type: V1Secret, update: UpdateStrategy.OnDelete }, // create when missing, never update
  ],
})
export class DatabaseOperator {
  @Sync()
  sync(): SyncResponse {
    return SyncResponse.of({});
  }
}

// The same operator without decorators (roperator's builder): one runtime path either way.
export const databaseDefinition = defineOperator(
  new OperatorConfig("database-builder", Database)
    .withChild(V1Service)
    .withChild(V1ConfigMap, ChildConfig.replace())
    .withChild(V1Pod, ChildConfig.recreate())
    .withChild(V1Secret, ChildConfig.onDelete())
    .withChild(V1Job, ChildConfig.apply()),
  () => SyncResponse.of({}),
);
