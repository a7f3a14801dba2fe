// docs/examples/children-and-update-strategies.ts — one update strategy per child type.
import "reflect-metadata";
import { ChildConfig, K8sType, K8sTypes, Operator, OperatorConfig, Sync, SyncResponse, UpdateStrategy, defineOperator } from "tsoperator";

const Database = K8sType.of("example.com/v1", "Database", { plural: "databases", namespaced: true });

@Operator({
  name: "database",
  parent: Database,
  children: [
    { type: K8sTypes.Service }, // Apply (default): server-side apply
    { type: K8sTypes.ConfigMap, update: UpdateStrategy.Replace }, // PUT of the whole object
    { type: K8sTypes.Pod, update: UpdateStrategy.Recreate }, // delete, then create on the next sync
    { type: K8sTypes.Secret, update: UpdateStrategy.OnDelete }, // create when missing, never update
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
    .withChild(K8sTypes.Service)
    .withChild(K8sTypes.ConfigMap, ChildConfig.replace())
    .withChild(K8sTypes.Pod, ChildConfig.recreate())
    .withChild(K8sTypes.Secret, ChildConfig.onDelete())
    .withChild(K8sTypes.Job, ChildConfig.apply()),
  () => SyncResponse.of({}),
);
