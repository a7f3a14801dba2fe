/**
 * The short APF case of the fault suite (`npm run faults -- --cases apf-1-seat`, docs/reliability.md)
 * in `npm test`: a whole operator, running as its own user (not in system:masters, so API priority
 * and fairness applies to it), gets one seat of a priority level that rejects the rest. Behaviour,
 * not speed: every parent converges, the client's concurrency limit
 * (`tsoperator_client_concurrency_limit`) drops under the 429s, and it grows back once the
 * FlowSchema is gone.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { KubeClient, type ResourceType } from "../../src/kube/index.js";
import { Metrics } from "../../src/observability/metrics.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";
const USER = "operator";
const LEVEL = "apf-operator";

const flowGroup = {
  group: "flowcontrol.apiserver.k8s.io",
  version: "v1",
  apiVersion: "flowcontrol.apiserver.k8s.io/v1",
  namespaced: false,
};
const flowSchemas: ResourceType = { ...flowGroup, kind: "FlowSchema", plural: "flowschemas" };
const priorityLevels: ResourceType = { ...flowGroup, kind: "PriorityLevelConfiguration", plural: "prioritylevelconfigurations" };
const clusterRoleBindings: ResourceType = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  plural: "clusterrolebindings",
  namespaced: false,
};

let cp: LocalControlPlane;
let admin: KubeClient;
let kit: TestKit;
const metrics = new Metrics();

/** The apiserver's figures for the level: nominal seats and rejected requests. */
async function level(): Promise<{ nominal?: number; rejected: number }> {
  const res = await fetchMetrics();
  let nominal: number | undefined;
  let rejected = 0;
  for (const line of res.split("\n")) {
    if (!line.includes(`priority_level="${LEVEL}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("apiserver_flowcontrol_nominal_limit_seats{")) nominal = value;
    if (line.startsWith("apiserver_flowcontrol_rejected_requests_total{")) rejected += value;
  }
  return { ...(nominal !== undefined ? { nominal } : {}), rejected };
}

async function fetchMetrics(): Promise<string> {
  return String(await admin.request("GET", "/metrics"));
}

/** The operator's adaptive limit now, from its metrics. */
async function clientLimit(): Promise<number | undefined> {
  return (await metrics.registry.getSingleMetric("tsoperator_client_concurrency_limit")?.get())?.values[0]?.value;
}

before(async () => {
  // Server concurrency 150: one share of 246 (the suggested levels' 245 and ours) is ceil(150 / 246) = 1 seat.
  cp = await LocalControlPlane.start({
    controllerManager: false,
    users: [{ name: USER, groups: [] }],
    extraApiServerFlags: ["--max-requests-inflight=100", "--max-mutating-requests-inflight=50"],
  });
  admin = KubeClient.fromKubeConfig(cp.kubeConfig);
  await admin.create(clusterRoleBindings, {
    metadata: { name: USER },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: USER }],
  });
  await admin.create(priorityLevels, {
    metadata: { name: LEVEL },
    spec: {
      type: "Limited",
      limited: { nominalConcurrencyShares: 1, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: "Reject" } },
    },
  });
  await admin.create(flowSchemas, {
    metadata: { name: LEVEL },
    spec: {
      priorityLevelConfiguration: { name: LEVEL },
      matchingPrecedence: 500,
      distinguisherMethod: { type: "ByUser" },
      rules: [
        {
          subjects: [{ kind: "User", user: { name: USER } }],
          resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"], namespaces: ["*"], clusterScope: true }],
          nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
        },
      ],
    },
  });
  const deadline = Date.now() + 20_000;
  while ((await level()).nominal !== 1) {
    if (Date.now() > deadline) throw new Error(`the level never reported 1 seat: ${JSON.stringify(await level())}`);
    await sleep(200);
  }
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [GreetingOperator], operatorUser: USER, metrics });
});

after(async () => {
  await kit?.close();
  await admin?.close();
  await cp?.stop();
});

const greeting = (name: string) => ({ apiVersion: API, kind: "Greeting", metadata: { name }, spec: { name } });

async function allConverged(names: string[]): Promise<void> {
  for (const n of names) {
    const parent = await kit.get(API, "Greeting", n);
    assert.equal((parent?.status as { text?: string } | undefined)?.text, `Hello, ${n}!`, `${n} has its status`);
    const map = await kit.get("v1", "ConfigMap", `${n}-greeting`);
    assert.equal((map as { data?: Record<string, string> } | undefined)?.data?.text, `Hello, ${n}!`, `${n}'s child`);
  }
}

test("an operator given one APF seat (Reject): every parent converges, the concurrency limit drops under 429 and grows back once the FlowSchema is gone", async () => {
  let lowest = Number.POSITIVE_INFINITY;
  const watchLimit = setInterval(async () => {
    const limit = await clientLimit();
    if (limit !== undefined) lowest = Math.min(lowest, limit);
  }, 10);
  try {
    const before = await level();
    const names = Array.from({ length: 20 }, (_, i) => `apf-${i}`);
    await Promise.all(names.map((n) => kit.createParent(greeting(n))));
    await kit.eventually(() => allConverged(names), { timeout: 40_000, interval: 250 });
    const during = await level();
    assert.ok(
      during.rejected > before.rejected,
      `the apiserver rejected some of the operator's requests (${during.rejected - before.rejected})`,
    );
    assert.ok(lowest < 32, `the limit dropped under 429 (lowest ${lowest})`);
    const throttledAt = (await clientLimit())!;

    await admin.delete(flowSchemas, undefined, LEVEL);
    // The user falls back to "global-default" (tens of seats): the limit grows again with the work
    // (+1 per limit's worth of successes, once the hold of the last 429 is over).
    let more = 0;
    await kit.eventually(
      async () => {
        const batch = Array.from({ length: 5 }, () => `after-${more++}`);
        await Promise.all(batch.map((n) => kit.createParent(greeting(n))));
        const limit = (await clientLimit())!;
        assert.ok(limit >= Math.max(4, throttledAt * 2), `the limit grew back (${limit}, was ${throttledAt}, lowest ${lowest})`);
      },
      { timeout: 45_000, interval: 200 },
    );
    const rest = Array.from({ length: more }, (_, i) => `after-${i}`);
    await kit.eventually(() => allConverged(rest), { timeout: 20_000, interval: 250 });
    console.log(
      `[measure] 1 seat: ${during.rejected - before.rejected} rejected, limit lowest ${lowest}, ${throttledAt} when the ` +
        `FlowSchema went, ${await clientLimit()} after ${more} more parents`,
    );
  } finally {
    clearInterval(watchLimit);
  }
});
