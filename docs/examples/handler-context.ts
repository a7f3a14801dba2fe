// docs/examples/handler-context.ts — what a handler gets beside the snapshot, and a service that records without plumbing.
import "reflect-metadata";
import type { V1ConfigMap } from "@kubernetes/client-node";
import { Counter } from "prom-client";
import { inject, injectable } from "tsyringe";
import {
  K8sType,
  K8sTypes,
  Metrics,
  Operator,
  OperatorEvents,
  Sync,
  SyncResponse,
  TSOPERATOR_LOGGER,
  type Logger,
  type SyncRequest,
} from "tsoperator";

const Backup = K8sType.of("example.com/v1", "Backup", { plural: "backups", namespaced: true });
type BackupSpec = { bucket: string };

/** The operator's own service: the runtime's Event recorder, Metrics and logger come by injection. */
@injectable()
export class BackupStore {
  private readonly uploads: Counter;

  constructor(
    private readonly events: OperatorEvents,
    metrics: Metrics,
    @inject(TSOPERATOR_LOGGER) private readonly log: Logger,
  ) {
    // Served on /metrics next to the runtime's own metrics.
    this.uploads = new Counter({ name: "backup_uploads_total", help: "Backups uploaded", registers: [metrics.registry] });
  }

  async upload(parent: object, bucket: string, signal: AbortSignal): Promise<string> {
    const res = await fetch(`https://storage.example.com/${bucket}`, { method: "PUT", signal });
    if (!res.ok) throw new Error(`storage answered ${res.status}`);
    this.uploads.inc();
    this.log.debug("uploaded", { bucket });
    this.events.normal(parent, "Uploaded", `backup written to ${bucket}`);
    return res.headers.get("etag") ?? "";
  }
}

@Operator({ name: "backup", parent: Backup, children: [{ type: K8sTypes.ConfigMap }] })
export class BackupOperator {
  constructor(private readonly store: BackupStore) {}

  @Sync()
  async sync(req: SyncRequest): Promise<SyncResponse> {
    const { bucket } = (req.raw as { spec: BackupSpec }).spec;
    // Why this sync runs: "created", "changed", "child-changed ConfigMap x (MODIFIED)", "resync"...
    req.log.info("syncing", { reason: String(req.reason) });
    const existing = req.children.ofType<V1ConfigMap>(K8sTypes.ConfigMap).first();
    let etag = existing?.data?.etag;
    // The state decides; the reason only saves work: a plain resync does not upload again.
    if (!etag || !req.reason.has("resync")) {
      // req.signal aborts at the handler timeout, at shutdown and when the lease is lost.
      etag = await this.store.upload(req.raw, bucket, req.signal);
    }
    if (bucket.startsWith("legacy-")) req.events.warning("LegacyBucket", `${bucket} will be retired; move the backup`);
    return SyncResponse.of({ etag }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${req.raw.metadata!.name}-backup` },
      data: { etag },
    });
  }
}
