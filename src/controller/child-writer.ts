/**
 * The executor of the child plan: performs the actions `planChildren` decided for one parent and
 * reports what it wrote. The decisions live in `child-plan.ts`; this module only talks to the API
 * server and tells the caches what its writes returned.
 *
 * Guarantees:
 * - nothing is written for a desired child that already matches the cached one (a no-op sync
 *   makes zero write requests);
 * - a child missing from the caches is written create-only (a POST, or an apply that can only
 *   create): when its name is taken, nothing is written and the object is looked up (GET) then; a
 *   same-named object that is not ours is a conflict (or adopted, when the child type opts in),
 *   never overwritten. No read precedes a create: a restart over a backlog writes what the raw
 *   bound writes and reads nothing more;
 * - deletes carry a uid precondition, so a child re-created meanwhile under the same name is never
 *   removed by a stale decision; NotFound on delete is an outcome (the cache lags writes);
 * - every action is attempted even when another fails; failures are thrown together afterwards
 *   (`ChildWriteError`, whose `conflicts` are the children refused for ownership).
 */
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { UpdateStrategy } from "../core/update-strategy.js";
import { ApiError, isAlreadyExists, isConflict, isNotFound } from "../kube/errors.js";
import { planChildren, planFound, type ChildAction, type ChildPlanInput, type ChildPolicy } from "./child-plan.js";
import { typeKey } from "./child-identity.js";
import { OPERATOR_LABEL, TRACKING_LABEL, ownerReferenceTo, type ParentRef } from "./ownership.js";
import type { WriteClient } from "./write-client.js";

/** One child type of an operator, resolved for the runtime. */
export interface ChildBinding extends ChildPolicy {
  resource: ResourceType;
  /** Tells the cache about a write's result (the newest object), so the next sync sees it. */
  onWritten(obj: KubeObject): void;
  /** Tells the cache that an object is gone. */
  onDeleted(obj: KubeObject): void;
}

/** A write the child writer made, for logs and metrics. */
export interface ChildWrite {
  verb: "create" | "apply" | "replace" | "delete" | "adopt";
  kind: string;
  namespace?: string;
  name: string;
  /** Why the plan chose it. */
  reason: string;
}

/** Everything one child-write pass needs: the plan's input, plus the bindings that carry it out. */
export interface ChildWritePlan extends Omit<ChildPlanInput, "policies"> {
  fieldManager: string;
  bindings: ReadonlyMap<string, ChildBinding>;
  /** Called with every decision, written or not (the reconciler logs them at debug level). */
  onDecision?: (action: ChildAction) => void;
}

/** A desired child whose name is taken by an object this operator does not own. */
export class ChildConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChildConflictError";
  }
}

/** Writes that failed, each with the child it concerns; the pass goes on past them. */
export class ChildWriteError extends Error {
  constructor(readonly failures: { child: string; error: unknown }[]) {
    super(
      `${failures.length} child write(s) failed: ` +
        failures.map((f) => `${f.child}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join("; "),
    );
    this.name = "ChildWriteError";
  }

  /** The failures that are ownership conflicts. */
  get conflicts(): { child: string; error: unknown }[] {
    return this.failures.filter((f) => f.error instanceof ChildConflictError);
  }
}

/**
 * Brings the cluster's children of one parent in line with the desired set: plans (pure), then
 * performs the plan. Returns the writes made; throws `ChildWriteError` when any action failed.
 */
export async function writeChildren(client: WriteClient, plan: ChildWritePlan): Promise<ChildWrite[]> {
  const actions = planChildren({ ...plan, policies: plan.bindings });
  const writes: ChildWrite[] = [];
  const failures: { child: string; error: unknown }[] = [];
  await Promise.all(
    actions.map(async (action) => {
      try {
        await perform(client, plan, action, writes);
      } catch (error) {
        failures.push({ child: describe(subjectOf(action)), error });
      }
    }),
  );
  if (failures.length > 0) throw new ChildWriteError(failures);
  return writes;
}

async function perform(client: WriteClient, plan: ChildWritePlan, action: ChildAction, writes: ChildWrite[]): Promise<void> {
  plan.onDecision?.(action);
  const subject = subjectOf(action);
  const binding = plan.bindings.get(typeKey(subject.apiVersion ?? "", subject.kind ?? ""));
  if (action.type === "conflict") throw new ChildConflictError(`${describe(subject)} ${action.reason}`);
  if (!binding) throw new Error(`no binding for ${subject.apiVersion}/${subject.kind}`);
  const fieldManager = plan.fieldManager;
  const wrote = (verb: ChildWrite["verb"], obj: KubeObject) => writes.push(record(verb, obj, action.reason));
  switch (action.type) {
    case "skip":
    case "wait":
      return;
    case "create": {
      const created = await createOnly(client, binding.resource, action, fieldManager);
      if (created) {
        binding.onWritten(created);
        // The verb is the request's: under Apply a create is a server-side apply.
        wrote(action.strategy === UpdateStrategy.Apply ? "apply" : "create", action.desired);
        return;
      }
      // The name is taken by an object the caches do not hold (not labelled, or not seen yet):
      // look it up, and the ownership rules decide (ours: in line later; anyone else's: a conflict).
      const meta = action.desired.metadata ?? {};
      const found = await client.get(binding.resource, meta.namespace, meta.name ?? "");
      if (!found) throw new Error("its name was taken, but the object is gone now; will retry");
      return perform(client, plan, planFound(action.desired, found, binding, plan.owner), writes);
    }
    case "apply":
      binding.onWritten(await client.apply(binding.resource, action.desired, { fieldManager, force: true }));
      wrote("apply", action.desired);
      return;
    case "replace": {
      const resourceVersion = action.existing.metadata?.resourceVersion;
      const body = { ...action.desired, metadata: { ...action.desired.metadata, resourceVersion } };
      try {
        binding.onWritten(await client.replace(binding.resource, body, { fieldManager }));
      } catch (error) {
        if (isConflict(error)) throw new Error(`changed since it was read; will retry from fresh state (${(error as Error).message})`);
        throw error;
      }
      wrote("replace", action.desired);
      return;
    }
    case "adopt": {
      binding.onWritten(await adopt(client, binding.resource, action.existing, plan.parent, plan.owner.operator, plan.owner.trackingLabel));
      wrote("adopt", action.existing);
      return;
    }
    case "delete":
    case "prune":
      // Recreate: the delete event re-triggers the parent, whose next sync creates it anew.
      if (await deleteOne(client, binding, action.existing)) wrote("delete", action.existing);
      return;
  }
}

/**
 * Takes an uncontrolled object over: a merge patch that adds our labels and controller
 * ownerReference, guarded by the resourceVersion it was read at. The next sync (triggered by the
 * patch's own watch event) brings its content in line per the child type's strategy.
 */
async function adopt(
  client: WriteClient,
  resource: ResourceType,
  found: KubeObject,
  parent: ParentRef,
  operator: string,
  trackingLabel = TRACKING_LABEL,
): Promise<KubeObject> {
  const meta = found.metadata ?? {};
  const patch = {
    metadata: {
      resourceVersion: meta.resourceVersion,
      labels: { [trackingLabel]: parent.uid, [OPERATOR_LABEL]: operator },
      ownerReferences: [...(meta.ownerReferences ?? []).filter((ref) => ref.uid !== parent.uid), ownerReferenceTo(parent)],
    },
  };
  try {
    return await client.patch(resource, meta.namespace, meta.name ?? "", patch, "merge");
  } catch (error) {
    if (isConflict(error)) throw new Error(`changed since it was read; adoption will be retried (${(error as Error).message})`);
    throw error;
  }
}

/**
 * Creates a child that the caches do not hold, without touching a same-named object that exists:
 * a POST (409 AlreadyExists when the name is taken), or under Apply a server-side apply guarded by
 * a resourceVersion no object has (`CREATE_ONLY_RESOURCE_VERSION`): the API server creates the
 * object when the name is free (a create ignores the resourceVersion) and refuses with 409
 * Conflict, writing nothing, when it exists (measured on v1.37 for ConfigMaps, Secrets, Services,
 * Deployments, Namespaces and custom resources). Returns the created object, or undefined when the
 * name is taken. Writing first and reading only then saves one GET per missing child: on a restart
 * over a backlog, every child of every parent.
 */
async function createOnly(
  client: WriteClient,
  resource: ResourceType,
  action: Extract<ChildAction, { type: "create" }>,
  fieldManager: string,
): Promise<KubeObject | undefined> {
  const { desired } = action;
  try {
    if (action.strategy !== UpdateStrategy.Apply) return await client.create(resource, desired, { fieldManager });
    const guarded = { ...desired, metadata: { ...desired.metadata, resourceVersion: CREATE_ONLY_RESOURCE_VERSION } };
    return await client.apply(resource, guarded, { fieldManager, force: true });
  } catch (error) {
    if (isAlreadyExists(error) || (action.strategy === UpdateStrategy.Apply && isConflict(error))) return undefined;
    if (!refusesVersionOnCreate(error)) throw error;
  }
  // A server that refuses the guard on a create (seen on old API servers for Services): look the
  // name up first, as a plain apply would overwrite what it finds.
  const meta = desired.metadata ?? {};
  if (await client.get(resource, meta.namespace, meta.name ?? "")) return undefined;
  return client.apply(resource, desired, { fieldManager, force: true });
}

/**
 * The resourceVersion an apply that may only create carries. etcd's revisions start at 1 and every
 * write moves past it, so no stored object has this version: an apply to an existing object fails
 * its optimistic-concurrency check (409 Conflict) before anything is written.
 */
const CREATE_ONLY_RESOURCE_VERSION = "1";

/** The answer of an API server whose create path rejects any resourceVersion (kubernetes#106745). */
function refusesVersionOnCreate(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.statusCode === 500 &&
    /resourceVersion should not be set on objects to be created/.test(error.message)
  );
}

/** Deletes with a uid precondition; false when it was already gone (or replaced by another object). */
async function deleteOne(client: WriteClient, binding: ChildBinding, obj: KubeObject): Promise<boolean> {
  const meta = obj.metadata ?? {};
  try {
    const result = await client.delete(binding.resource, meta.namespace, meta.name ?? "", {
      propagationPolicy: "Background",
      preconditions: meta.uid ? { uid: meta.uid } : undefined,
    });
    if (stillPendingDeletion(result)) binding.onWritten(result);
    else binding.onDeleted(obj);
    return true;
  } catch (error) {
    // NotFound: already gone. Conflict on the uid precondition: a different object now has the name.
    if (isNotFound(error) || isConflict(error)) {
      binding.onDeleted(obj);
      return false;
    }
    throw error;
  }
}

/**
 * Whether a delete's answer describes an object that still exists (finalizers to run, or a grace
 * period: a scheduled Pod), whose DELETED event is yet to come. An object deleted at once may carry
 * a deletionTimestamp too (an unscheduled Pod, grace period 0), and its DELETED event may already
 * have been handled: caching that answer left a terminating ghost no event ever removed, and the
 * parent waited forever to create the child anew (Recreate of Pods got stuck).
 */
function stillPendingDeletion(result: KubeObject | undefined): result is KubeObject {
  const meta = result?.metadata;
  if (!meta?.deletionTimestamp) return false;
  const grace = (meta as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds ?? 0;
  return (meta.finalizers?.length ?? 0) > 0 || grace > 0;
}

/** The object an action is about. */
export function subjectOf(action: ChildAction): KubeObject {
  switch (action.type) {
    case "delete":
    case "prune":
    case "wait":
      return action.existing;
    case "skip":
      return action.subject;
    default:
      return action.desired;
  }
}

function record(verb: ChildWrite["verb"], obj: KubeObject, reason: string): ChildWrite {
  const write: ChildWrite = { verb, kind: obj.kind ?? "", name: obj.metadata?.name ?? "", reason };
  if (obj.metadata?.namespace) write.namespace = obj.metadata.namespace;
  return write;
}

/** `Kind namespace/name`, as failures and logs name a child. */
export function describe(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : "";
  return `${obj.kind ?? "?"} ${ns}${obj.metadata?.name ?? "?"}`;
}
