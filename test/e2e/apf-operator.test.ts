/**
 * The short APF case of the fault suite (`npm run faults -- --cases apf-1-seat`, docs/reliability.md)
 * in `npm test`: a whole operator, running as its own user (not in system:masters, so API priority
 * and fairness applies to it), gets one seat of a priority level that rejects the rest
 * (`limitUserSeats` of tsoperator/testing). Behaviour,
 * not speed: every parent converges, the client's concurrency limit
 * (`tsoperator_client_concurrency_limit`) drops under the 429s, and it grows back once the
 * FlowSchema is gone.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Metrics } from "../../src/observability/metrics.js";
import { LocalControlPlane, limitUserSeats, TestKit, type UserSeatLimit } from "../../src/testing/index.js";
import { GreetingOperator } from "../../samples/greeting/greeting.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
const API = "samples.tsoperator.dev/v1";
const USER = "operator";

let cp: LocalControlPlane;
let kit: TestKit;
let seatLimit: UserSeatLimit;
const metrics = new Metrics();

/** The operator's adaptive limit now, from its metrics. */
async function clientLimit(): Promise<number | undefined> {
  return (await metrics.registry.getSingleMetric("tsoperator_client_concurrency_limit")?.get())?.values[0]?.value;
}

before(async () => {
  cp = await LocalControlPlane.start({ controllerManager: false, users: [{ name: USER, groups: [] }] });
  seatLimit = await limitUserSeats(cp, USER, 1, { clusterRole: "cluster-admin" });
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [GreetingOperator], operatorUser: USER, metrics });
});

after(async () => {
  await kit?.close();
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
    const before = await seatLimit.levelSeats();
    // Batches of 20 parents at once, until the operator's requests have met on the one seat: on a
    // loaded machine one batch's syncs can come spread out enough that none is refused (a CI run
    // counted 0 rejections after 20). Each batch converges before the next.
    const names: string[] = [];
    let during = before;
    for (let round = 1; round <= 5 && during.rejected === before.rejected; round++) {
      const batch = Array.from({ length: 20 }, (_, i) => `apf-${names.length + i}`);
      names.push(...batch);
      await Promise.all(batch.map((n) => kit.createParent(greeting(n))));
      await kit.eventually(() => allConverged(batch), { timeout: 40_000, interval: 250 });
      during = await seatLimit.levelSeats();
    }
    await allConverged(names);
    assert.ok(
      during.rejected > before.rejected,
      `the apiserver rejected some of the operator's requests (${during.rejected - before.rejected} after ${names.length} parents)`,
    );
    assert.ok(lowest < 32, `the limit dropped under 429 (lowest ${lowest})`);
    const throttledAt = (await clientLimit())!;

    await seatLimit.lift();
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
