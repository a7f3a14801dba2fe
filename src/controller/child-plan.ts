/**
 * Child reconciliation as a pure plan: from the desired children, the parent's existing children
 * (from the caches) and the per-type policies, decide one action per child, each with the reason
 * it was chosen. No I/O: the executor (`child-writer.ts`) performs the actions; the reasons feed
 * the debug logs. Every rule here is unit-tested without a server (test/unit/controller/child-plan.test.ts).
 *
 * The rules:
 * - the desired child is cleaned of server-set fields, then stamped with ownership (tracking
 *   label, operator label, controller ownerReference); Replace and Recreate add the desired hash;
 * - a desired child missing from the caches is `create`d, create-only; when the executor finds
 *   the name taken, it looks the object up and hands it to `planFound` (a same-named object may
 *   exist outside our caches);
 * - a same-named object that is not ours is a `conflict` (controlled by another parent or
 *   operator, or by no one), unless the child type opts in to adoption and no one controls it
 *   (`adopt`). Nothing is written for a conflicting child. Our own child that lost its tracking
 *   label (invisible to the caches) is labelled again the same way;
 * - an existing child being deleted is waited for (`wait`), then created again;
 * - Apply: `apply` when `needsWrite` says the cluster's copy differs; Replace: `replace` when the
 *   desired hash changed or the copy drifted; Recreate: `delete` when the desired hash changed
 *   (drift made by others never recreates); OnDelete: never updated;
 * - an existing child the handler no longer returns is `prune`d (not when it is already being
 *   deleted, and not when `prune` is off: an error handler's answer keeps every child).
 */
import type { KubeObject } from "../core/kube-object.js";
import { UpdateStrategy } from "../core/update-strategy.js";
import { childKey, typeKey } from "./child-identity.js";
import { DESIRED_HASH_ANNOTATION, hashMatches, withDesiredHash, withoutServerFields } from "./desired-child.js";
import { needsWrite } from "./needs-write.js";
import { TRACKING_LABEL, ownershipOf, withOwnership, type ChildOwner, type Ownership, type ParentRef } from "./ownership.js";

/** How the children of one type are written. */
export interface ChildPolicy {
  strategy: UpdateStrategy;
  /** Take over a same-named object that no one controls (default: a conflict). */
  adopt: boolean;
}

/** One decision about one child. `desired` is the object to write (ownership and hash stamped). */
export type ChildAction =
  | { type: "create"; desired: KubeObject; strategy: UpdateStrategy; reason: string }
  | { type: "apply"; desired: KubeObject; existing: KubeObject; reason: string }
  | { type: "replace"; desired: KubeObject; existing: KubeObject; reason: string }
  | { type: "delete"; existing: KubeObject; reason: string }
  | { type: "prune"; existing: KubeObject; reason: string }
  | { type: "adopt"; desired: KubeObject; existing: KubeObject; reason: string }
  | { type: "wait"; existing: KubeObject; reason: string }
  | { type: "conflict"; desired: KubeObject; existing?: KubeObject; reason: string }
  | { type: "skip"; subject: KubeObject; reason: string };

/** Everything one plan needs. */
export interface ChildPlanInput {
  /** The handler's desired children, validated, as returned (server fields and all). */
  desired: readonly KubeObject[];
  /** The parent's children in the caches (`ownershipOf` = ours). */
  existing: readonly KubeObject[];
  /** A cached object with the same identity that is not one of `existing`, if the caches hold one. */
  occupant?: (key: string) => KubeObject | undefined;
  parent: ParentRef;
  owner: ChildOwner;
  /** Policies by `typeKey(apiVersion, kind)`. */
  policies: ReadonlyMap<string, ChildPolicy>;
  /** When false, children absent from `desired` are kept. */
  prune: boolean;
}

/** Decides one action per desired child and per existing child the handler no longer returns. */
export function planChildren(input: ChildPlanInput): ChildAction[] {
  const existingByKey = new Map(input.existing.map((obj) => [childKey(obj), obj]));
  const actions: ChildAction[] = [];
  const desiredKeys = new Set<string>();
  for (const raw of input.desired) {
    const key = childKey(raw);
    desiredKeys.add(key);
    const policy = input.policies.get(typeKey(raw.apiVersion ?? "", raw.kind ?? ""));
    if (!policy) {
      actions.push({ type: "conflict", desired: raw, reason: `${raw.apiVersion}/${raw.kind} is not a child type of this operator` });
      continue;
    }
    const desired = prepare(raw, input.parent, input.owner, policy.strategy);
    const existing = existingByKey.get(key);
    if (existing) {
      actions.push(planExisting(desired, existing, policy.strategy, input.owner.fieldManager));
      continue;
    }
    const occupant = input.occupant?.(key);
    actions.push(occupant ? planFound(desired, occupant, policy, input.owner) : create(desired, policy.strategy));
  }
  if (input.prune) {
    for (const obj of input.existing) {
      if (desiredKeys.has(childKey(obj))) continue;
      actions.push(
        obj.metadata?.deletionTimestamp
          ? { type: "skip", subject: obj, reason: "no longer desired and already being deleted" }
          : { type: "prune", existing: obj, reason: "no longer desired" },
      );
    }
  }
  return actions;
}

/**
 * What to do about a desired child whose name is taken by `found` (looked up by the executor, or
 * held by the caches) although it is not among the parent's cached children.
 */
export function planFound(desired: KubeObject, found: KubeObject, policy: ChildPolicy, owner: ChildOwner): ChildAction {
  const ownership = ownershipOf(found, owner);
  switch (ownership) {
    case "ours":
      // Ours but not cached: the watch has not delivered it yet, or it is being deleted.
      if (found.metadata?.deletionTimestamp) return { type: "wait", existing: found, reason: BEING_DELETED };
      // Without the tracking label the caches never see it: label it again (no opt-in needed, it is ours).
      if (found.metadata?.labels?.[owner.trackingLabel ?? TRACKING_LABEL] !== owner.parentUid) {
        return { type: "adopt", desired, existing: found, reason: "ours, but its tracking label was removed: labelled again" };
      }
      return { type: "skip", subject: found, reason: "exists; the cache has not seen it yet" };
    case "uncontrolled":
      if (policy.adopt) {
        return { type: "adopt", desired, existing: found, reason: "exists with no controller; adoption is enabled for this child type" };
      }
      return conflict(desired, found, ownership);
    default:
      return conflict(desired, found, ownership);
  }
}

function planExisting(desired: KubeObject, existing: KubeObject, strategy: UpdateStrategy, fieldManager: string): ChildAction {
  if (existing.metadata?.deletionTimestamp) return { type: "wait", existing, reason: BEING_DELETED };
  switch (strategy) {
    case UpdateStrategy.Apply:
      return needsWrite(desired, existing, fieldManager)
        ? { type: "apply", desired, existing, reason: "differs from the desired object" }
        : { type: "skip", subject: existing, reason: "in line" };
    case UpdateStrategy.OnDelete:
      return { type: "skip", subject: existing, reason: "exists; OnDelete never updates" };
    case UpdateStrategy.Replace: {
      if (!hashMatches(existing.metadata?.annotations?.[DESIRED_HASH_ANNOTATION], desired)) {
        return { type: "replace", desired, existing, reason: "the desired object changed (desired hash)" };
      }
      return needsWrite(desired, existing, fieldManager)
        ? { type: "replace", desired, existing, reason: "the cluster's copy drifted from the desired object" }
        : { type: "skip", subject: existing, reason: "in line" };
    }
    case UpdateStrategy.Recreate: {
      // Only a change of what the handler wants recreates the child, never a difference in the
      // cluster's copy: a mutating webhook (an image rewritten to a mirror, an injected sidecar)
      // would otherwise delete and create it forever. Children written before the annotation
      // existed fall back to the comparison.
      const written = existing.metadata?.annotations?.[DESIRED_HASH_ANNOTATION];
      if (written !== undefined) {
        return hashMatches(written, desired)
          ? { type: "skip", subject: existing, reason: "in line (desired hash unchanged)" }
          : { type: "delete", existing, reason: "the desired object changed (desired hash): delete, create on a later sync" };
      }
      return needsWrite(withoutServerFields(desired), existing, fieldManager)
        ? { type: "delete", existing, reason: "differs from the desired object (no desired hash): delete, create on a later sync" }
        : { type: "skip", subject: existing, reason: "in line" };
    }
  }
}

function prepare(raw: KubeObject, parent: ParentRef, owner: ChildOwner, strategy: UpdateStrategy): KubeObject {
  const owned = withOwnership(withoutServerFields(raw), parent, owner.operator, owner.trackingLabel);
  return strategy === UpdateStrategy.Replace || strategy === UpdateStrategy.Recreate ? withDesiredHash(owned) : owned;
}

function create(desired: KubeObject, strategy: UpdateStrategy): ChildAction {
  return { type: "create", desired, strategy, reason: "missing" };
}

const BEING_DELETED = "being deleted; created again once it is gone";

const CONFLICT_REASONS: Record<Exclude<Ownership, "ours">, string> = {
  "other-controller": "is controlled by another owner",
  "other-operator": "is controlled by this parent but belongs to another operator (or was not written by this one)",
  uncontrolled: "exists and this operator does not own it (set `adopt` on the child type to take such objects over)",
  elsewhere: "is outside the parent's namespace",
};

function conflict(desired: KubeObject, found: KubeObject, ownership: Exclude<Ownership, "ours">): ChildAction {
  let reason = CONFLICT_REASONS[ownership];
  if (ownership === "other-controller") {
    const ref = found.metadata?.ownerReferences?.find((r) => r.controller === true);
    if (ref) reason = `is controlled by ${ref.kind} ${ref.name} (uid ${ref.uid})`;
  }
  return { type: "conflict", desired, existing: found, reason };
}
