// docs/examples/finalizers.ts — clean up outside the cluster before a parent goes away.
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { Finalize, FinalizeResponse, KubernetesType, Operator, Sync, SyncResponse, type SyncRequest } from "tsoperator";

@KubernetesType({ apiVersion: "example.com/v1", kind: "Bucket", plural: "buckets", namespaced: true })
export class Bucket {
  metadata!: V1ObjectMeta;
  spec!: { region: string };
}

/** Stand-in for a cloud SDK. */
export class BucketApi {
  async ensure(_name: string, _region: string): Promise<void> {}
  /** Resolves to true once the bucket no longer exists. */
  async delete(_name: string): Promise<boolean> {
    return true;
  }
}

@Operator({ name: "bucket", parent: Bucket, finalizerName: "example.com/bucket-cleanup" })
export class BucketOperator {
  constructor(private readonly buckets: BucketApi) {}

  @Sync()
  async sync(req: SyncRequest<Bucket>): Promise<SyncResponse> {
    await this.buckets.ensure(req.parent.metadata.name!, req.parent.spec.region);
    return SyncResponse.of({ ready: true });
  }

  /** Present → the finalizer is added to every Bucket; removed when this returns done(). */
  @Finalize()
  async finalize(req: SyncRequest<Bucket>): Promise<FinalizeResponse> {
    const gone = await this.buckets.delete(req.parent.metadata.name!);
    return gone ? FinalizeResponse.done() : FinalizeResponse.retryAfter(10_000, { phase: "Deleting" });
  }
}
