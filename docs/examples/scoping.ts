// docs/examples/scoping.ts — operators that watch a few namespaces and the parents a label selects.
import "reflect-metadata";
import {
  K8sType,
  K8sTypes,
  Operator,
  OperatorConfig,
  Sync,
  SyncResponse,
  defineOperator,
  runOperators,
  type SyncRequest,
} from "tsoperator";

const Site = K8sType.of("example.com/v1", "Site", { plural: "sites", namespaced: true });

// Per operator, with the decorator: only `team-a` and `team-b`, only parents labelled `shard=a`.
@Operator({
  name: "site",
  parent: Site,
  children: [{ type: K8sTypes.ConfigMap }],
  namespaces: ["team-a", "team-b"],
  labelSelector: "shard=a",
})
export class SiteOperator {
  @Sync()
  sync(req: SyncRequest): SyncResponse {
    const name = req.raw.metadata?.name ?? "";
    return SyncResponse.of({ ready: true }).withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { site: name } });
  }
}

// The same without decorators.
export const siteAudit = defineOperator(
  new OperatorConfig("site-audit", Site).withinNamespaces(["team-a", "team-b"]).withLabelSelector("shard=a,audit!=off"),
  () => SyncResponse.of({ audited: true }),
);

// For every operator of the process (an operator's own namespaces win; both selectors apply).
export async function main(): Promise<void> {
  const runtime = await runOperators([SiteOperator, siteAudit], { namespaces: ["team-a", "team-b", "team-c"], labelSelector: "region=eu" });
  await runtime.done;
}
