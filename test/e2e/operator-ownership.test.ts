/**
 * Child ownership on a real API server: what counts as a child, and what happens when a desired
 * child's name is already taken.
 * - an object controlled by another parent is never taken over (a ChildConflict Event, the sync
 *   fails, the object is left as it is) — no flip-flop between two parents;
 * - a same-named object the operator does not own is a conflict under every update strategy;
 * - objects that merely carry the tracking label (no controller ownerReference, or another
 *   namespace) are not children: not in the handler's view, never pruned;
 * - two operators on the same parent type keep each other's children;
 * - adoption, when a child type opts in, takes over an object no one controls.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap } from "@kubernetes/client-node";
import {
  ChildConfig,
  OPERATOR_LABEL,
  OperatorConfig,
  SyncResponse,
  TRACKING_LABEL,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";
import { sleep } from "./fixtures/recorder.js";

type Spec = { names?: string[] };
const nameOf = (req: SyncRequest<KubeObject>) => req.raw.metadata!.name!;

/** One ConfigMap per name in spec.names, with data {by: <parent name>}. */
function configMapsByName(req: SyncRequest<KubeObject>): SyncResponse {
  const response = SyncResponse.of();
  for (const name of ((req.raw.spec ?? {}) as Spec).names ?? []) {
    response.withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { by: nameOf(req) } });
  }
  return response;
}

const FAST_RETRY = { initialDelayMs: 200, multiplier: 2, jitter: 0, maxDelayMs: 2_000 };
const STRATEGIES = [
  ["Apply", "OApply", ChildConfig.apply()],
  ["Replace", "OReplace", ChildConfig.replace()],
  ["Recreate", "ORecreate", ChildConfig.recreate()],
  ["OnDelete", "OOnDelete", ChildConfig.onDelete()],
] as const;

const strategyOps: OperatorDefinition[] = STRATEGIES.map(([strategy, kind, child]) => ({
  config: new OperatorConfig(`own-${strategy.toLowerCase()}`, testType(kind)).withChild(V1ConfigMap, child).withBackoff(FAST_RETRY),
  handler: configMapsByName,
}));

const ADOPT_STRATEGIES = [
  ["Apply", "AApply", ChildConfig.apply().adopting()],
  ["Replace", "AReplace", ChildConfig.replace().adopting()],
  ["Recreate", "ARecreate", ChildConfig.recreate().adopting()],
  ["OnDelete", "AOnDelete", ChildConfig.onDelete().adopting()],
] as const;
const adoptOps: OperatorDefinition[] = ADOPT_STRATEGIES.map(([strategy, kind, child]) => ({
  config: new OperatorConfig(`adopt-${strategy.toLowerCase()}`, testType(kind)).withChild(V1ConfigMap, child).withBackoff(FAST_RETRY),
  handler: configMapsByName,
}));

/** Two operators on one parent type (Twin): each returns its own ConfigMap. */
const twinOp = (side: "a" | "b"): OperatorDefinition => ({
  config: new OperatorConfig(`twin-${side}`, testType("Twin")).withChild(V1ConfigMap),
  handler: (req: SyncRequest<KubeObject>) =>
    SyncResponse.of().withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${nameOf(req)}-${side}` }, data: { side } }),
});

// The conflict cases leave their parents failing on purpose (that is what they assert), so this
// suite's kit.reconcile() calls wait for quiet without asserting success.
describe("child ownership", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: [...[...STRATEGIES, ...ADOPT_STRATEGIES].map(([, kind]) => testCrd(kind)), testCrd("Twin")],
      operators: [...strategyOps, ...adoptOps, twinOp("a"), twinOp("b")],
      logger: logs.logger,
    });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  const conflictEvent = async (parent: string) =>
    kit.eventually(async () => {
      const found = (await kit.events(parent)).find((e) => e.type === "Warning" && e.reason === "ChildConflict");
      assert.ok(found, `no ChildConflict Event on ${parent}: ${JSON.stringify((await kit.events(parent)).map((e) => e.reason))}`);
      return found;
    });

  for (const [strategy, kind] of STRATEGIES) {
    it(`${strategy}: a same-named object the operator does not own is a conflict, left untouched`, async () => {
      const name = `taken-${strategy.toLowerCase()}`;
      const theirs = await kit.create({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, labels: { owner: "someone" } },
        data: { owner: "someone" },
      });
      const parent = `p-${strategy.toLowerCase()}`;
      await kit.createParent(parentOf(kind, parent, { names: [name] }));
      const event = await conflictEvent(parent);
      assert.match(String(event.message), new RegExp(`ConfigMap .*${name}`));
      const operator = `own-${strategy.toLowerCase()}`;
      await kit.eventually(() => assert.ok(kit.errorCount(parent, { operator }) >= 1, "the sync did not fail"));
      await sleep(500);
      const now = (await kit.get("v1", "ConfigMap", name))!;
      assert.equal(now.metadata?.uid, theirs.metadata?.uid, "the object was replaced");
      assert.equal(now.metadata?.resourceVersion, theirs.metadata?.resourceVersion, "the object was written");
      assert.equal(now.metadata?.ownerReferences, undefined);
      assert.deepEqual(now.data, { owner: "someone" });
    });
  }

  for (const [strategy, kind] of [STRATEGIES[0], STRATEGIES[1]]) {
    it(`${strategy}: a child another parent controls is not taken over (no flip-flop)`, async () => {
      const child = `shared-${strategy.toLowerCase()}`;
      const operator = `own-${strategy.toLowerCase()}`;
      const first = await kit.createParent(parentOf(kind, `first-${strategy.toLowerCase()}`, { names: [child] }));
      const original = await kit.eventuallyMatches("v1", "ConfigMap", child, { data: { by: first.metadata!.name } });
      const second = `second-${strategy.toLowerCase()}`;
      await kit.createParent(parentOf(kind, second, { names: [child] }));
      await conflictEvent(second);
      await kit.eventually(() => assert.ok(kit.errorCount(second, { operator }) >= 2, "the second parent's sync did not fail (and retry)"));
      const now = (await kit.get("v1", "ConfigMap", child))!;
      assert.equal(now.metadata?.resourceVersion, original.metadata?.resourceVersion, "the child was written");
      assert.equal(now.metadata?.ownerReferences?.[0]?.uid, first.metadata?.uid);
      assert.equal(now.metadata?.labels?.[TRACKING_LABEL], first.metadata?.uid);
      assert.equal(kit.errorCount(first.metadata!.name!, { operator }), 0, "the first parent failed");
    });
  }

  it("objects that only carry the tracking label are not children: not in the view, never pruned", async () => {
    const parent = await kit.createParent(parentOf("OApply", "labelled", { names: ["labelled-mine"] }));
    await kit.eventuallyExists("v1", "ConfigMap", "labelled-mine");
    const uid = parent.metadata!.uid!;
    const other = `other-${kit.namespace}`;
    await kit.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: other } });
    const here = await kit.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "planted-here", labels: { [TRACKING_LABEL]: uid } },
    });
    const there = await kit.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "planted-there", namespace: other, labels: { [TRACKING_LABEL]: uid } },
    });
    // The planted objects (and a spec change) make the parent sync again.
    await kit.patch(E2E_API_VERSION, "OApply", "labelled", { spec: { names: ["labelled-mine"], touched: 1 } });
    await kit.reconcile({ allowFailures: true });
    await sleep(300);
    await kit.reconcile({ allowFailures: true });
    const view = kit.syncRequest("labelled", { operator: "own-apply" })!;
    assert.deepEqual(
      view.children.raw().map((c) => c.metadata?.name),
      ["labelled-mine"],
    );
    assert.equal(view.children.ofType(V1ConfigMap).get("planted-there"), undefined);
    assert.equal((await kit.get("v1", "ConfigMap", "planted-here"))?.metadata?.uid, here.metadata?.uid, "planted-here was pruned");
    assert.equal(
      (await kit.get("v1", "ConfigMap", "planted-there", other))?.metadata?.uid,
      there.metadata?.uid,
      "planted-there was pruned",
    );
  });

  it("two operators on the same parent type keep each other's children", async () => {
    const parent = await kit.createParent(parentOf("Twin", "tw"));
    const a = await kit.eventuallyExists("v1", "ConfigMap", "tw-a");
    const b = await kit.eventuallyExists("v1", "ConfigMap", "tw-b");
    await kit.patch(E2E_API_VERSION, "Twin", "tw", { spec: { touched: 1 } });
    await kit.reconcile({ allowFailures: true });
    await sleep(500);
    await kit.reconcile({ allowFailures: true });
    assert.equal((await kit.get("v1", "ConfigMap", "tw-a"))?.metadata?.uid, a.metadata?.uid, "tw-a was pruned (by twin-b)");
    assert.equal((await kit.get("v1", "ConfigMap", "tw-b"))?.metadata?.uid, b.metadata?.uid, "tw-b was pruned (by twin-a)");
    const names = (operator: string) =>
      kit
        .syncRequest("tw", { operator })!
        .children.raw()
        .map((c) => c.metadata?.name);
    assert.deepEqual(names("twin-a"), ["tw-a"]);
    assert.deepEqual(names("twin-b"), ["tw-b"]);
    assert.equal(a.metadata?.ownerReferences?.[0]?.uid, parent.metadata?.uid);

    // A child written before the operator label existed (no label; twin-a's field manager wrote
    // it): twin-a keeps it and labels it again, twin-b leaves it alone.
    await kit.patch("v1", "ConfigMap", "tw-a", { metadata: { labels: { [OPERATOR_LABEL]: null } } });
    await kit.patch(E2E_API_VERSION, "Twin", "tw", { spec: { touched: 2 } });
    await kit.eventually(async () =>
      assert.equal((await kit.get("v1", "ConfigMap", "tw-a"))?.metadata?.labels?.[OPERATOR_LABEL], "twin-a"),
    );
    await kit.reconcile({ allowFailures: true });
    assert.equal((await kit.get("v1", "ConfigMap", "tw-a"))?.metadata?.uid, a.metadata?.uid, "the older child was pruned");
  });

  for (const [strategy, kind] of ADOPT_STRATEGIES) {
    it(`${strategy} with adoption: a same-named object no one controls is taken over`, async () => {
      const name = `adoptee-${strategy.toLowerCase()}`;
      const theirs = await kit.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { by: "someone" } });
      const parent = await kit.createParent(parentOf(kind, `a-${strategy.toLowerCase()}`, { names: [name] }));
      const adopted = await kit.eventually(async () => {
        const obj = (await kit.get("v1", "ConfigMap", name))!;
        assert.equal(obj.metadata?.ownerReferences?.[0]?.uid, parent.metadata?.uid, "not adopted");
        assert.equal(obj.metadata?.labels?.[TRACKING_LABEL], parent.metadata?.uid);
        // Brought in line per strategy; OnDelete never updates.
        assert.deepEqual(obj.data, { by: strategy === "OnDelete" ? "someone" : parent.metadata?.name });
        return obj;
      });
      if (strategy === "Recreate") assert.notEqual(adopted.metadata?.uid, theirs.metadata?.uid);
      else assert.equal(adopted.metadata?.uid, theirs.metadata?.uid);
      await kit.reconcile({ allowFailures: true });
      assert.equal(kit.errorCount(parent.metadata!.name!, { operator: `adopt-${strategy.toLowerCase()}` }), 0);
    });
  }
});
