/**
 * The raw-write bound in Node: the same loop as bench/peers/raw-client-go, written with undici
 * (one Agent, plain JSON). It separates what Node costs from what a framework costs.
 *
 * Protocol (shared with the Go raw peer): JSON lines on stdin,
 * `{"op":"w1"|"w3"|"w4","name","uid","generation","payload"}`; "READY" then "SYNCS <n>" on stdout.
 *   - w1: add the finalizer (merge patch), apply the three children (in parallel), apply the status;
 *   - w3: apply the three children, apply the status;
 *   - w4: remove the finalizer (merge patch).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { KubeHttp, PATCH_TYPES } from "../lib/kube-http.js";
import {
  FINALIZER,
  PARENT_API_VERSION,
  PARENT_KIND,
  PARENT_PLURAL,
  childrenOf,
  statusFor,
  type ParentRef,
  type WireObject,
} from "../lib/workload.js";

const FIELD_MANAGER = "bench-raw-node";

interface Job {
  op: "w1" | "w3" | "w4";
  name: string;
  uid: string;
  generation: number;
  payload: string;
}

function parseArgs(argv: string[]): { namespace: string; concurrency: number } {
  let namespace = process.env.BENCH_NAMESPACE ?? "";
  let concurrency = 16;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--namespace") namespace = argv[++i] ?? "";
    else if (argv[i] === "--concurrency") concurrency = Number(argv[++i]);
  }
  if (!namespace) throw new Error("--namespace (or BENCH_NAMESPACE) is required");
  return { namespace, concurrency };
}

/** Reads server, CA and token of the current context from $KUBECONFIG. */
function endpointFromKubeconfig(): { server: string; token: string; ca: string } {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user?.token) throw new Error("kubeconfig needs a current cluster and a token user");
  const ca = cluster.caData ? Buffer.from(cluster.caData, "base64").toString() : cluster.caFile ? readFileSync(cluster.caFile, "utf8") : "";
  return { server: cluster.server, token: user.token, ca };
}

function pathOf(obj: WireObject, namespace: string): string {
  const name = String(obj.metadata?.name);
  const plural = obj.kind === "Service" ? "services" : "configmaps";
  return `/api/v1/namespaces/${namespace}/${plural}/${name}`;
}

async function runJob(http: KubeHttp, namespace: string, job: Job): Promise<void> {
  const parentPath = `/apis/${PARENT_API_VERSION}/namespaces/${namespace}/${PARENT_PLURAL}/${job.name}`;
  if (job.op === "w4") {
    await http.send("PATCH", parentPath, { body: { metadata: { finalizers: null } }, contentType: PATCH_TYPES.merge });
    return;
  }
  if (job.op === "w1") {
    await http.send("PATCH", parentPath, { body: { metadata: { finalizers: [FINALIZER] } }, contentType: PATCH_TYPES.merge });
  }
  const parent: ParentRef = { name: job.name, namespace, uid: job.uid, payload: job.payload };
  const query = `?fieldManager=${FIELD_MANAGER}&force=true`;
  // The three children are independent: apply them in parallel, then the status that reports them.
  await Promise.all(
    childrenOf(parent).map((child) =>
      http.send("PATCH", pathOf(child, namespace) + query, { body: child, contentType: PATCH_TYPES.apply }),
    ),
  );
  const status = {
    apiVersion: PARENT_API_VERSION,
    kind: PARENT_KIND,
    metadata: { name: job.name, namespace },
    status: statusFor(job.generation),
  };
  await http.send("PATCH", `${parentPath}/status${query}`, { body: status, contentType: PATCH_TYPES.apply });
}

async function main(): Promise<void> {
  const { namespace, concurrency } = parseArgs(process.argv.slice(2));
  const http = new KubeHttp(endpointFromKubeconfig(), concurrency * 3);
  const pending: Job[] = [];
  let inputDone = false;
  let done = 0;
  const idle: Array<() => void> = [];

  const worker = async () => {
    for (;;) {
      const job = pending.shift();
      if (!job) {
        if (inputDone) return;
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await runJob(http, namespace, job);
          break;
        } catch (err) {
          process.stderr.write(`${job.op} ${job.name}: ${(err as Error).message}\n`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      done++;
    }
  };
  const wakeAll = () => {
    for (const resolve of idle.splice(0)) resolve();
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  let last = -1;
  const ticker = setInterval(() => {
    if (done !== last) process.stdout.write(`SYNCS ${(last = done)}\n`);
  }, 50);
  process.stdout.write("READY\n");

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    pending.push(JSON.parse(line) as Job);
    wakeAll();
  }
  inputDone = true;
  wakeAll();
  await Promise.all(workers);
  clearInterval(ticker);
  process.stdout.write(`SYNCS ${done}\n`);
  await http.close();
}

main().catch((err) => {
  process.stderr.write(`raw-node: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
