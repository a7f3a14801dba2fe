import { createHash } from "node:crypto";
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { isAlreadyExists, isNotFound, isConflict } from "../kube/errors.js";
import { childKey, typeKey } from "./child-identity.js";
import { needsWrite } from "./needs-write.js";
import type { WriteClient } from "./write-client.js";

/** How a child type is brought in line (mirrors the API's `UpdateStrategy` values). */
export type ChildStrategy = "Apply" | "Replace" | "Recreate" | "OnDelete";

/** One child type of an operator, resolved for the runtime. */
export interface ChildBinding {
  resource: ResourceType;
  strategy: ChildStrategy;
  /** Tells the cache about a write's result (the newest object), so the next sync sees it. */
  onWritten(obj: KubeObject): void;
  /** Tells the cache that an object is gone. */
  onDeleted(obj: KubeObject): void;
}

/** A write the child writer made, for logs and metrics. */
export interface ChildWrite {
  verb: "create" | "apply" | "replace" | "delete";
  kind: string;
  namespace?: string;
  name: string;
}

/** Everything one child-write pass needs. */
export interface ChildWritePlan {
  fieldManager: string;
  /** Validated desired children, ownership already attached. */
  desired: KubeObject[];
  /** The children the cache holds for this parent (controller-owned by it). */
  existing: KubeObject[];
  /** When false, children absent from `desired` are kept (an error response keeps children). */
  prune: boolean;
  bindings: ReadonlyMap<string, ChildBinding>;
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
}

/**
 * Brings the cluster's children of one parent in line with the desired set: desired children are
 * created or updated per their type's strategy, then children the response omits are deleted.
 *
 * Guarantees:
 * - nothing is written for a desired child that already matches the cached one (a no-op sync makes
 *   zero requests);
 * - only children visible in the cache are deleted, each with a uid precondition, so a child
 *   re-created meanwhile under the same name is never removed by a stale decision;
 * - AlreadyExists on create and NotFound on delete are outcomes (the cache lags writes), not errors;
 * - every write is attempted even when another fails; failures are thrown together afterwards.
 */
export async function writeChildren(client: WriteClient, plan: ChildWritePlan): Promise<ChildWrite[]> {
  const existingByKey = new Map(plan.existing.map((obj) => [childKey(obj), obj]));
  const writes: ChildWrite[] = [];
  const failures: { child: string; error: unknown }[] = [];
  const attempt = async (label: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      failures.push({ child: label, error });
    }
  };

  const desiredKeys = new Set<string>();
  await Promise.all(
    plan.desired.map((desired) => {
      const key = childKey(desired);
      desiredKeys.add(key);
      const binding = plan.bindings.get(typeKey(desired.apiVersion ?? "", desired.kind ?? ""));
      const label = describe(desired);
      if (!binding) return attempt(label, async () => Promise.reject(new Error(`no binding for ${desired.apiVersion}/${desired.kind}`)));
      return attempt(label, () => writeOne(client, plan, binding, desired, existingByKey.get(key), writes));
    }),
  );

  if (plan.prune) {
    await Promise.all(
      plan.existing
        .filter((obj) => !desiredKeys.has(childKey(obj)) && !obj.metadata?.deletionTimestamp)
        .map((obj) => {
          const binding = plan.bindings.get(typeKey(obj.apiVersion ?? "", obj.kind ?? ""));
          if (!binding) return Promise.resolve();
          return attempt(describe(obj), () => deleteOne(client, binding, obj, writes));
        }),
    );
  }

  if (failures.length > 0) throw new ChildWriteError(failures);
  return writes;
}

async function writeOne(
  client: WriteClient,
  plan: ChildWritePlan,
  binding: ChildBinding,
  desired: KubeObject,
  existing: KubeObject | undefined,
  writes: ChildWrite[],
): Promise<void> {
  // `existing` comes from the parent's own children (the reconciler leaves out objects another
  // controller owns; writing one of those is refused by the API server: one controller per object).
  // Being deleted (e.g. Recreate, or a pod terminating): wait for it to go, then create anew.
  if (existing?.metadata?.deletionTimestamp) return;
  const fieldManager = plan.fieldManager;
  switch (binding.strategy) {
    case "Apply": {
      if (existing && !needsWrite(desired, existing, fieldManager)) return;
      binding.onWritten(await client.apply(binding.resource, desired, { fieldManager, force: true }));
      writes.push(record("apply", desired));
      return;
    }
    case "OnDelete": {
      if (existing) return;
      await createOne(client, binding, desired, fieldManager, writes);
      return;
    }
    case "Replace": {
      const stamped = withDesiredHash(desired);
      if (!existing) return createOne(client, binding, stamped, fieldManager, writes);
      if (!changedSinceWritten(stamped, existing, fieldManager)) return;
      const body = {
        ...stamped,
        metadata: { ...stamped.metadata, resourceVersion: existing.metadata?.resourceVersion },
      };
      try {
        binding.onWritten(await client.replace(binding.resource, body, { fieldManager }));
      } catch (error) {
        if (isConflict(error)) throw new Error(`changed since it was read; will retry from fresh state (${(error as Error).message})`);
        throw error;
      }
      writes.push(record("replace", desired));
      return;
    }
    case "Recreate": {
      const stamped = withDesiredHash(desired);
      if (!existing) return createOne(client, binding, stamped, fieldManager, writes);
      // Only a change of what the handler wants recreates the child, never a difference in the
      // cluster's copy: a mutating webhook (an image rewritten to a mirror, an injected sidecar)
      // would otherwise delete and create it forever. Children written before the annotation
      // existed fall back to the comparison.
      const written = existing.metadata?.annotations?.[DESIRED_HASH_ANNOTATION];
      if (written !== undefined ? written === stamped.metadata?.annotations?.[DESIRED_HASH_ANNOTATION] : !changedSinceWritten(stamped, existing, fieldManager)) return;
      // Delete now; the delete event re-triggers the parent, whose next sync creates it anew.
      await deleteOne(client, binding, existing, writes);
      return;
    }
  }
}

/**
 * The annotation that holds a hash of the desired object a Replace or Recreate child was last
 * written from. Those children are written by create/PUT, whose managedFields also list server
 * defaults, so the managedFields check cannot tell a field the handler dropped from one the server
 * added; the hash can (Metacontroller and Kopf keep a last-applied annotation for the same reason).
 */
export const DESIRED_HASH_ANNOTATION = "tsoperator.dev/desired-hash";

function withDesiredHash(desired: KubeObject): KubeObject {
  const hash = createHash("sha256").update(JSON.stringify(desired)).digest("base64url").slice(0, 27);
  const metadata = desired.metadata ?? {};
  return { ...desired, metadata: { ...metadata, annotations: { ...(metadata.annotations ?? {}), [DESIRED_HASH_ANNOTATION]: hash } } };
}

/** The handler's desired object changed since the last write, or the cluster's copy drifted from it. */
function changedSinceWritten(stamped: KubeObject, existing: KubeObject, fieldManager: string): boolean {
  if (existing.metadata?.annotations?.[DESIRED_HASH_ANNOTATION] !== stamped.metadata?.annotations?.[DESIRED_HASH_ANNOTATION]) return true;
  return needsWrite(stamped, existing, fieldManager);
}

async function createOne(
  client: WriteClient,
  binding: ChildBinding,
  desired: KubeObject,
  fieldManager: string,
  writes: ChildWrite[],
): Promise<void> {
  try {
    binding.onWritten(await client.create(binding.resource, desired, { fieldManager }));
    writes.push(record("create", desired));
  } catch (error) {
    // The cache has not seen a child we (or an earlier run) created: the watch will deliver it.
    if (!isAlreadyExists(error)) throw error;
  }
}

async function deleteOne(client: WriteClient, binding: ChildBinding, obj: KubeObject, writes: ChildWrite[]): Promise<void> {
  const meta = obj.metadata ?? {};
  try {
    const result = await client.delete(binding.resource, meta.namespace, meta.name ?? "", {
      propagationPolicy: "Background",
      preconditions: meta.uid ? { uid: meta.uid } : undefined,
    });
    if (stillPendingDeletion(result)) binding.onWritten(result);
    else binding.onDeleted(obj);
    writes.push(record("delete", obj));
  } catch (error) {
    // NotFound: already gone. Conflict on the uid precondition: a different object now has the name.
    if (isNotFound(error) || isConflict(error)) {
      binding.onDeleted(obj);
      return;
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

function record(verb: ChildWrite["verb"], obj: KubeObject): ChildWrite {
  const write: ChildWrite = { verb, kind: obj.kind ?? "", name: obj.metadata?.name ?? "" };
  if (obj.metadata?.namespace) write.namespace = obj.metadata.namespace;
  return write;
}

function describe(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : "";
  return `${obj.kind ?? "?"} ${ns}${obj.metadata?.name ?? "?"}`;
}
