/**
 * The yardstick of the APF cases (issue 11): a paced raw client that never sends more requests at
 * once than its priority level has seats. `inFlight` workers, each one request at a time, write
 * what a converged parent needs and nothing else: the finalizer (merge patch), the three children
 * (server-side apply, one after the other) and the status (apply) — the writes of
 * bench/peers/raw-node.ts, without its parallel children. It runs as the operator's own user, so
 * it draws on the same seats. A 429 (none expected while `inFlight` <= seats) waits out
 * Retry-After and is counted.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KubeHttp, KubeHttpError, PATCH_TYPES, type KubeEndpoint } from "../lib/kube-http.js";
import { FINALIZER, PARENT_API_VERSION, PARENT_KIND, PARENT_PLURAL, childrenOf, statusFor, type WireObject } from "../lib/workload.js";

const FIELD_MANAGER = "faults-paced-raw";

/** A parent as the harness created it. */
export interface CreatedParent {
  name: string;
  uid: string;
  generation: number;
  payload: string;
}

/** What a paced run did. */
export interface PacedRun {
  /** Write requests sent (429s included). */
  requests: number;
  throttled: number;
}

/** See the module comment. */
export class PacedRawClient {
  private readonly http: KubeHttp;
  private readonly queue: CreatedParent[] = [];
  private readonly idle: Array<() => void> = [];
  private ended = false;
  private readonly figures: PacedRun = { requests: 0, throttled: 0 };

  constructor(
    endpoint: KubeEndpoint,
    private readonly namespace: string,
    private readonly inFlight: number,
  ) {
    this.http = new KubeHttp(endpoint, inFlight);
  }

  /** Hands a created parent to the workers. */
  push(parent: CreatedParent): void {
    this.queue.push(parent);
    for (const wake of this.idle.splice(0)) wake();
  }

  /** No more parents: the workers finish the queue and {@link run} resolves. */
  end(): void {
    this.ended = true;
    for (const wake of this.idle.splice(0)) wake();
  }

  /** Runs the workers until {@link end} and an empty queue. */
  async run(): Promise<PacedRun> {
    await Promise.all(Array.from({ length: this.inFlight }, () => this.worker()));
    await this.http.close();
    return { ...this.figures };
  }

  private async worker(): Promise<void> {
    for (;;) {
      const parent = this.queue.shift();
      if (parent) {
        await this.converge(parent);
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }

  private async converge(p: CreatedParent): Promise<void> {
    const parentPath = `/apis/${PARENT_API_VERSION}/namespaces/${this.namespace}/${PARENT_PLURAL}/${p.name}`;
    const query = `?fieldManager=${FIELD_MANAGER}&force=true`;
    await this.send("PATCH", parentPath, { metadata: { finalizers: [FINALIZER] } }, PATCH_TYPES.merge);
    for (const child of childrenOf({ name: p.name, namespace: this.namespace, uid: p.uid, payload: p.payload })) {
      await this.send("PATCH", childPath(child, this.namespace) + query, child, PATCH_TYPES.apply);
    }
    const status = {
      apiVersion: PARENT_API_VERSION,
      kind: PARENT_KIND,
      metadata: { name: p.name, namespace: this.namespace },
      status: statusFor(p.generation),
    };
    await this.send("PATCH", `${parentPath}/status${query}`, status, PATCH_TYPES.apply);
  }

  private async send(method: string, path: string, body: unknown, contentType: string): Promise<void> {
    for (;;) {
      this.figures.requests++;
      try {
        await this.http.send(method, path, { body, contentType });
        return;
      } catch (err) {
        if (!(err instanceof KubeHttpError) || err.statusCode !== 429) throw err;
        this.figures.throttled++;
        await sleep(1000);
      }
    }
  }
}

function childPath(obj: WireObject, namespace: string): string {
  const plural = obj.kind === "Service" ? "services" : "configmaps";
  return `/api/v1/namespaces/${namespace}/${plural}/${String(obj.metadata?.name)}`;
}
