/**
 * Adaptive concurrency under API Priority and Fairness (issue 11): a FlowSchema sends every request
 * of user "apf-test" to a PriorityLevelConfiguration with one seat and `limitResponse: Reject`, so
 * the API server answers 429 to whatever exceeds one request at a time. The same workload (N
 * ConfigMaps created and updated twice, 16 at a time, each retried until it exists, as a controller would) runs
 * through a client with a fixed limit and through one with the adaptive (AIMD) limit: both converge,
 * the adaptive one shrinks its limit to the seat.
 *
 * The 429s of both are measured (printed), not asserted: with Retry-After honoured the fixed
 * client's come in waves (the refused requests all wait out the same 1 s and come back together),
 * and how many a wave draws depends on how the machine spreads them out. Past the first burst of
 * 16 (both start with it, refused alike): fixed 23 / 27 / 21 / 16 / 26 / 18 in local runs but 5 in
 * one CI run (and 2, counted from the 32nd parent, in another), adaptive 1-5 locally and 9 in that
 * CI run — a comparison that decides a test on the machine's timing, which is the benchmark's job
 * (`npm run faults -- --cases apf-1-seat`), not a test's. The AIMD rules themselves are unit-tested
 * (test/unit/kube/adaptive-concurrency.test.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { isTooManyRequests, KubeClient, type KubeClientOptions } from "../../src/kube/index.js";
import { limitUserSeats } from "../../src/testing/index.js";
import { configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

const USER = "apf-test";
const PARENTS = 200;
const WORKERS = 16;

// The admin token impersonating "apf-test" (apfClient): the binding lets it act, the limit gives it one seat.
const plane = withControlPlane({ setUp: ({ cp }) => limitUserSeats(cp, USER, 1, { clusterRole: "cluster-admin" }) });

/** A client that acts as user "apf-test" (the admin token impersonating it). */
function apfClient(options: KubeClientOptions): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(plane.cp.kubeConfig.getCurrentCluster()!, { ...plane.cp.kubeConfig.getCurrentUser()!, impersonateUser: USER });
  return KubeClient.fromKubeConfig(kc, options);
}

interface RunFigures {
  wallMs: number;
  throttled: number;
  /** 429s to the requests sent after the first WORKERS: both clients start with the same burst of 16. */
  throttledAfterFirstBurst: number;
  requests: number;
  lowestLimit?: number;
}

async function untilAccepted(write: () => Promise<unknown>): Promise<void> {
  for (;;) {
    try {
      await write();
      return;
    } catch (err) {
      if (!isTooManyRequests(err)) throw err;
      await sleep(100); // the client already waited out Retry-After several times
    }
  }
}

/** Creates PARENTS ConfigMaps in a fresh namespace, WORKERS at a time, each retried until it exists. */
async function converge(namespace: string, adaptive: boolean): Promise<RunFigures> {
  await plane.client.create(namespaces, { metadata: { name: namespace } });
  /** Every answer: when its request was sent, and its code. */
  const answers: Array<{ sentAt: number; code: number }> = [];
  let lowestLimit: number | undefined;
  const client = apfClient({
    connections: WORKERS,
    adaptiveConcurrency: adaptive ? { max: WORKERS } : false,
    onRequest: (e) => {
      if (e.path === "/readyz") return; // the client's health probe is not the workload
      answers.push({ sentAt: performance.now() - e.durationMs, code: e.code });
    },
    onConcurrencyLimit: (_host, limit) => {
      lowestLimit = Math.min(lowestLimit ?? limit, limit);
    },
  });
  // Both clients open their WORKERS connections first (/readyz is exempt from priority and
  // fairness), so that their first burst is WORKERS requests at once for both: on a loaded machine
  // the TLS handshakes of a cold pool would spread it out.
  await Promise.all(Array.from({ length: WORKERS }, () => client.request("GET", "/readyz")));
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (next < PARENTS) {
          const name = `parent-${next++}`;
          // A sync's writes: create, then two updates (each retried on 429 as a requeue would).
          await untilAccepted(() => client.create(configMaps, { metadata: { name, namespace }, data: { a: "1" } }));
          await untilAccepted(() => client.patch(configMaps, namespace, name, { data: { b: "2" } }, "merge"));
          await untilAccepted(() => client.patch(configMaps, namespace, name, { data: { c: "3" } }, "merge"));
        }
      }),
    );
  } finally {
    await client.close();
  }
  const wallMs = Math.round(performance.now() - started);
  const listed = await plane.client.list(configMaps, { namespace });
  assert.equal(listed.items.length, PARENTS, `${namespace}: every parent converged`);
  const bySending = answers.sort((a, b) => a.sentAt - b.sentAt);
  const throttled = bySending.filter((a) => a.code === 429).length;
  const throttledAfterFirstBurst = bySending.slice(WORKERS).filter((a) => a.code === 429).length;
  return {
    wallMs,
    throttled,
    throttledAfterFirstBurst,
    requests: answers.length,
    ...(lowestLimit !== undefined ? { lowestLimit } : {}),
  };
}

test("under APF with one seat and Reject, the adaptive limit shrinks to the seat and every parent converges, with a fixed limit too", async () => {
  // The priority level takes effect when the APF config controller has seen it: wait until the
  // test user is throttled at all.
  const probe = apfClient({ adaptiveConcurrency: false, maxRetries: 0 });
  const deadline = Date.now() + 20_000;
  for (let throttled = false; !throttled; ) {
    if (Date.now() > deadline) throw new Error("the FlowSchema never throttled the test user");
    const answers = await Promise.allSettled(Array.from({ length: 20 }, () => probe.list(configMaps, { namespace: "default" })));
    throttled = answers.some((a) => a.status === "rejected" && isTooManyRequests(a.reason));
  }
  await probe.close();

  const fixed = await converge("apf-fixed", false);
  const adaptive = await converge("apf-adaptive", true);
  console.log(
    `[measure] ${PARENTS} parents x ${WORKERS} workers, 1 seat Reject: fixed ${JSON.stringify(fixed)}; adaptive ${JSON.stringify(adaptive)}`,
  );
  assert.ok(
    adaptive.lowestLimit !== undefined && adaptive.lowestLimit < WORKERS,
    `the adaptive limit shrank (lowest ${adaptive.lowestLimit})`,
  );
  assert.ok(adaptive.lowestLimit! <= 2, `down to the one seat (lowest ${adaptive.lowestLimit})`);
  assert.ok(fixed.throttled > 0 && adaptive.throttled > 0, "both met the seat's 429s (the workload is the one intended)");
});
