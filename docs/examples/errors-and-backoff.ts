// docs/examples/errors-and-backoff.ts — what happens when a sync fails.
import "reflect-metadata";
import {
  K8sType,
  K8sTypes,
  Operator,
  OperatorConfig,
  Sync,
  SyncResponse,
  defineOperator,
  failable,
  withErrorHandler,
  type SyncRequest,
} from "tsoperator";

const Report = K8sType.of("example.com/v1", "Report", { plural: "reports", namespaced: true });

// 1. Throw: the error is logged, counted, recorded as an Event; the parent is retried with
//    exponential backoff (here: 1 s, x2, +-20 %, at most 5 min). Its children are left as they are.
@Operator({
  name: "report",
  parent: Report,
  children: [{ type: K8sTypes.ConfigMap }],
  backoff: { initialDelayMs: 1_000, multiplier: 2, jitter: 0.2, maxDelayMs: 300_000 },
})
export class ReportOperator {
  @Sync()
  async sync(req: SyncRequest): Promise<SyncResponse> {
    const res = await fetch(String((req.parent as { spec?: { url?: string } }).spec?.url), { signal: req.signal });
    if (!res.ok) throw new Error(`source answered ${res.status}`);
    return SyncResponse.of({ fetched: true });
  }
}

// 2. roperator's error function: choose the status and the retry yourself; children are kept.
export const withStatusOnError = defineOperator(
  new OperatorConfig("report-with-status", Report),
  withErrorHandler(
    () => {
      throw new Error("upstream unavailable");
    },
    (_req, error) => ({ status: { error: String(error) }, resyncAfter: 60_000 }),
  ),
);

// 3. Failable handler: validate → children → status, errors become status, backoff per parent.
export const failableReport = defineOperator(
  new OperatorConfig("report-failable", Report).withChild(K8sTypes.ConfigMap),
  failable<unknown, string>(
    {
      validate: (req) => (req.raw.metadata?.name?.startsWith("tmp-") ? new Error("temporary reports are not published") : "ok"),
      syncChildren: (req) => [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: req.raw.metadata!.name! }, data: { ok: "yes" } }],
      determineStatus: (_req, outcome) => (outcome.ok ? { error: null } : { error: String(outcome.error) }),
    },
    // Give up on a parent after 10 failures in a row (retried again when it or a child changes).
    { backoff: { initialDelayMs: 2_000 }, giveUpAfter: 10 },
  ),
);
