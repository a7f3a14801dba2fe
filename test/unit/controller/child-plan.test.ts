/**
 * The child plan, rule by rule, with no server: what each strategy decides for an existing child,
 * pruning, terminating children, ownership conflicts, adoption, and the stripping of server-set
 * fields before hashing and writing.
 */
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planChildren, planFound, type ChildAction, type ChildPlanInput, type ChildPolicy } from "../../../src/controller/child-plan.js";
import {
  DESIRED_HASH_ANNOTATION,
  desiredHash,
  hashMatches,
  withDesiredHash,
  withoutServerFields,
} from "../../../src/controller/desired-child.js";
import { OPERATOR_LABEL, TRACKING_LABEL, ownershipOf, withOwnership, type ChildOwner } from "../../../src/controller/ownership.js";
import { typeKey } from "../../../src/controller/child-identity.js";
import { UpdateStrategy } from "../../../src/core/update-strategy.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

const parent = { apiVersion: "example.com/v1", kind: "Db", name: "db", uid: "p1" };
const owner: ChildOwner = { parentUid: "p1", parentNamespace: "ns", operator: "op", fieldManager: "op" };

const cm = (name: string, data: Record<string, string> = { k: "v" }, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns" },
  data,
  ...extra,
});

/** What the cluster holds after we wrote `desired` (server fields added; hash kept as written). */
function written(desired: KubeObject, strategy: UpdateStrategy, uid = "c1"): KubeObject {
  let obj = withOwnership(desired, parent, "op");
  if (strategy === UpdateStrategy.Replace || strategy === UpdateStrategy.Recreate) obj = withDesiredHash(obj);
  const managedFields =
    strategy === UpdateStrategy.Apply
      ? [
          {
            manager: "op",
            operation: "Apply",
            fieldsV1: { "f:data": Object.fromEntries(Object.keys((desired.data as object) ?? {}).map((k) => [`f:${k}`, {}])) },
          },
        ]
      : [{ manager: "op", operation: "Update", fieldsV1: { "f:data": {} } }];
  return { ...obj, metadata: { ...obj.metadata, uid, resourceVersion: "5", creationTimestamp: "2026-01-01T00:00:00Z", managedFields } };
}

function plan(strategy: UpdateStrategy, input: Partial<ChildPlanInput> & { adopt?: boolean }): ChildAction[] {
  const policy: ChildPolicy = { strategy, adopt: input.adopt ?? false };
  return planChildren({
    desired: [],
    existing: [],
    parent,
    owner,
    policies: new Map([[typeKey("v1", "ConfigMap"), policy]]),
    prune: true,
    ...input,
  });
}

const only = (actions: ChildAction[]) => {
  assert.equal(actions.length, 1, JSON.stringify(actions));
  return actions[0]!;
};
const ALL = [UpdateStrategy.Apply, UpdateStrategy.Replace, UpdateStrategy.Recreate, UpdateStrategy.OnDelete];

describe("planChildren: per strategy", () => {
  for (const strategy of ALL) {
    test(`${strategy}: a missing child is created, with ownership stamped`, () => {
      const action = only(plan(strategy, { desired: [cm("a")] }));
      assert.equal(action.type, "create");
      const desired = (action as { desired: KubeObject }).desired;
      assert.equal(desired.metadata?.labels?.[TRACKING_LABEL], "p1");
      assert.equal(desired.metadata?.labels?.[OPERATOR_LABEL], "op");
      assert.deepEqual(desired.metadata?.ownerReferences, [{ ...parent, controller: true, blockOwnerDeletion: true }]);
      const hashed = strategy === UpdateStrategy.Replace || strategy === UpdateStrategy.Recreate;
      assert.equal(desired.metadata?.annotations?.[DESIRED_HASH_ANNOTATION] !== undefined, hashed);
    });

    test(`${strategy}: an unchanged child is skipped (zero writes)`, () => {
      const action = only(plan(strategy, { desired: [cm("a")], existing: [written(cm("a"), strategy)] }));
      assert.equal(action.type, "skip", action.reason);
    });

    test(`${strategy}: a child being deleted is waited for`, () => {
      const terminating = written(cm("a"), strategy);
      terminating.metadata!.deletionTimestamp = "2026-01-01T00:00:01Z";
      assert.equal(only(plan(strategy, { desired: [cm("a", { k: "new" })], existing: [terminating] })).type, "wait");
    });

    test(`${strategy}: a child no longer desired is pruned; not when pruning is off or it is already going`, () => {
      const existing = written(cm("a"), strategy);
      assert.equal(only(plan(strategy, { existing: [existing] })).type, "prune");
      assert.deepEqual(plan(strategy, { existing: [existing], prune: false }), []);
      const going = { ...existing, metadata: { ...existing.metadata, deletionTimestamp: "2026-01-01T00:00:01Z" } };
      assert.equal(only(plan(strategy, { existing: [going] })).type, "skip");
    });
  }

  test("a changed child: Apply applies, Replace replaces, Recreate deletes, OnDelete keeps", () => {
    const expected = { Apply: "apply", Replace: "replace", Recreate: "delete", OnDelete: "skip" };
    for (const strategy of ALL) {
      const action = only(plan(strategy, { desired: [cm("a", { k: "new" })], existing: [written(cm("a"), strategy)] }));
      assert.equal(action.type, expected[strategy], `${strategy}: ${action.reason}`);
    }
  });

  test("Apply notices a field it applied and no longer returns (managedFields)", () => {
    const existing = written(cm("a", { k: "v", gone: "x" }), UpdateStrategy.Apply);
    assert.equal(only(plan(UpdateStrategy.Apply, { desired: [cm("a")], existing: [existing] })).type, "apply");
  });

  test("Replace and Recreate notice a dropped field by the desired hash", () => {
    for (const strategy of [UpdateStrategy.Replace, UpdateStrategy.Recreate]) {
      const existing = written(cm("a", { k: "v", gone: "x" }), strategy);
      assert.notEqual(only(plan(strategy, { desired: [cm("a")], existing: [existing] })).type, "skip", strategy);
    }
  });

  test("Replace puts back a drift made by others; Recreate never recreates for it", () => {
    const drift = (strategy: UpdateStrategy) => {
      const obj = written(cm("a"), strategy);
      return { ...obj, data: { k: "mutated" } };
    };
    assert.equal(only(plan(UpdateStrategy.Replace, { desired: [cm("a")], existing: [drift(UpdateStrategy.Replace)] })).type, "replace");
    assert.equal(only(plan(UpdateStrategy.Recreate, { desired: [cm("a")], existing: [drift(UpdateStrategy.Recreate)] })).type, "skip");
  });

  test("Recreate of a child written before the hash existed falls back to the comparison", () => {
    const legacy = written(cm("a"), UpdateStrategy.Recreate);
    delete legacy.metadata!.annotations;
    assert.equal(only(plan(UpdateStrategy.Recreate, { desired: [cm("a")], existing: [legacy] })).type, "skip");
    assert.equal(only(plan(UpdateStrategy.Recreate, { desired: [cm("a", { k: "new" })], existing: [legacy] })).type, "delete");
  });

  test("a child of an unknown type is a conflict (never written)", () => {
    const action = only(
      plan(UpdateStrategy.Apply, { desired: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "ns" } }] }),
    );
    assert.equal(action.type, "conflict");
  });

  test("identity is (apiVersion, kind, namespace, name): a same-named child of another type is not the existing one", () => {
    const existing = written(cm("a"), UpdateStrategy.Apply);
    const actions = planChildren({
      desired: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "a", namespace: "ns" } }],
      existing: [existing],
      parent,
      owner,
      policies: new Map([
        [typeKey("v1", "ConfigMap"), { strategy: UpdateStrategy.Apply, adopt: false }],
        [typeKey("v1", "Secret"), { strategy: UpdateStrategy.Apply, adopt: false }],
      ]),
      prune: true,
    });
    assert.deepEqual(actions.map((a) => a.type).sort(), ["create", "prune"]);
  });
});

describe("planChildren: server-set fields are stripped (a handler returning the cached child)", () => {
  for (const strategy of ALL) {
    test(`${strategy}: the cached child returned unchanged is a no-op, and nothing server-set is written`, () => {
      const existing = written(cm("a"), strategy);
      const returned: KubeObject = { ...structuredClone(existing), status: { phase: "x" } };
      returned.metadata!.generation = 3;
      (returned.metadata as Record<string, unknown>).selfLink = "/api/v1/namespaces/ns/configmaps/a";
      const action = only(plan(strategy, { desired: [returned], existing: [existing] }));
      assert.equal(action.type, "skip", action.reason);
    });
  }

  test("an edited cached child is written without uid, resourceVersion, managedFields, status or the old hash", () => {
    for (const strategy of [UpdateStrategy.Apply, UpdateStrategy.Replace]) {
      const existing = written(cm("a"), strategy);
      const returned = { ...structuredClone(existing), data: { k: "edited" }, status: {} };
      const action = only(plan(strategy, { desired: [returned], existing: [existing] }));
      const desired = (action as { desired: KubeObject }).desired;
      assert.ok(desired, `${strategy}: ${action.type}`);
      for (const key of ["uid", "resourceVersion", "managedFields", "creationTimestamp"]) {
        assert.equal((desired.metadata as Record<string, unknown>)[key], undefined, `${strategy} sends ${key}`);
      }
      assert.equal("status" in desired, false);
      const hash = desired.metadata?.annotations?.[DESIRED_HASH_ANNOTATION];
      if (strategy === UpdateStrategy.Replace) assert.equal(hash, desiredHash(desired));
      else assert.equal(hash, undefined);
    }
  });

  test("the hash of a fresh object equals that of its cached copy returned (key order, empty maps)", () => {
    const fresh = withOwnership(cm("a"), parent, "op");
    const cached = withoutServerFields(written(cm("a"), UpdateStrategy.Replace));
    const reordered: KubeObject = { data: cached.data, kind: cached.kind, apiVersion: cached.apiVersion, metadata: { ...cached.metadata } };
    assert.equal(desiredHash(withOwnership(reordered, parent, "op")), desiredHash(fresh));
  });

  test("children written before the operator label keep their hash (an upgrade recreates nothing)", () => {
    // What the previous version wrote: a hash of the JSON (insertion order), without the operator label.
    const before = { ...cm("a"), metadata: { name: "a", namespace: "ns", labels: { [TRACKING_LABEL]: "p1" }, ownerReferences: [] } };
    const legacy = createHash("sha256").update(JSON.stringify(before)).digest("base64url").slice(0, 27);
    const now = { ...before, metadata: { ...before.metadata, labels: { ...before.metadata.labels, [OPERATOR_LABEL]: "op" } } };
    assert.ok(hashMatches(legacy, now));
    assert.ok(!hashMatches(legacy, { ...now, data: { k: "other" } }));
  });
});

describe("ownership: conflicts and adoption", () => {
  const foreign = (meta: Partial<KubeObject["metadata"]>): KubeObject => ({
    ...cm("a", { theirs: "1" }),
    metadata: { name: "a", namespace: "ns", uid: "x1", resourceVersion: "9", ...meta },
  });
  const desired = withOwnership(cm("a"), parent, "op");
  const policy = (adopt: boolean): ChildPolicy => ({ strategy: UpdateStrategy.Apply, adopt });

  test("a same-named object no one controls is a conflict, adopted only on opt-in", () => {
    assert.equal(planFound(desired, foreign({}), policy(false), owner).type, "conflict");
    assert.equal(planFound(desired, foreign({}), policy(true), owner).type, "adopt");
  });

  test("an object controlled by another parent is a conflict even with adoption on (no take-over)", () => {
    const other = foreign({
      ownerReferences: [{ ...parent, uid: "p2", name: "other", controller: true }],
      labels: { [TRACKING_LABEL]: "p2" },
    });
    const action = planFound(desired, other, policy(true), owner);
    assert.equal(action.type, "conflict");
    assert.match(action.reason, /controlled by Db other \(uid p2\)/);
  });

  test("an object of this parent written by another operator is a conflict", () => {
    const twin = foreign({
      ownerReferences: [{ ...parent, controller: true }],
      labels: { [TRACKING_LABEL]: "p1", [OPERATOR_LABEL]: "other-op" },
    });
    assert.equal(planFound(desired, twin, policy(true), owner).type, "conflict");
  });

  test("our own child, not yet in the cache, is skipped; when being deleted, waited for", () => {
    const ours = written(cm("a"), UpdateStrategy.Apply);
    assert.equal(planFound(desired, ours, policy(false), owner).type, "skip");
    assert.equal(
      planFound(desired, { ...ours, metadata: { ...ours.metadata, deletionTimestamp: "t" } }, policy(false), owner).type,
      "wait",
    );
    // Ours, but someone removed the tracking label (so the caches never see it): labelled again.
    const unlabelled = structuredClone(ours);
    delete unlabelled.metadata!.labels![TRACKING_LABEL];
    assert.equal(planFound(desired, unlabelled, policy(false), owner).type, "adopt");
  });

  test("an occupant in the caches (another parent's child) is a conflict without any request", () => {
    const other = foreign({
      ownerReferences: [{ ...parent, uid: "p2", name: "other", controller: true }],
      labels: { [TRACKING_LABEL]: "p2" },
    });
    const action = only(plan(UpdateStrategy.Apply, { desired: [cm("a")], occupant: () => other }));
    assert.equal(action.type, "conflict");
  });

  test("what counts as a child: controlled by the parent's uid, in its namespace, written by this operator", () => {
    const base = written(cm("a"), UpdateStrategy.Apply);
    assert.equal(ownershipOf(base, owner), "ours");
    // Only the tracking label: not a child.
    assert.equal(ownershipOf(foreign({ labels: { [TRACKING_LABEL]: "p1" } }), owner), "uncontrolled");
    // Another namespace: not a child, whatever it says.
    assert.equal(ownershipOf({ ...base, metadata: { ...base.metadata, namespace: "elsewhere" } }, owner), "elsewhere");
    // A cluster-scoped parent has children in any namespace.
    assert.equal(
      ownershipOf(
        { ...base, metadata: { ...base.metadata, namespace: "elsewhere" } },
        { parentUid: "p1", operator: "op", fieldManager: "op" },
      ),
      "ours",
    );
    // Another operator on the same parent.
    assert.equal(ownershipOf(base, { ...owner, operator: "twin", fieldManager: "twin" }), "other-operator");
    // Written before the operator label: ours when our field manager wrote it.
    const legacy = structuredClone(base);
    delete legacy.metadata!.labels![OPERATOR_LABEL];
    assert.equal(ownershipOf(legacy, owner), "ours");
    assert.equal(ownershipOf(legacy, { ...owner, operator: "twin", fieldManager: "twin" }), "other-operator");
  });
});
