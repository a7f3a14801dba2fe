/**
 * Where user code meets the runtime: a user's handler (class instances, `SyncResponse`) becomes
 * a `SnapshotHandler` (wire objects in, validated wire objects out). Guarantees the runtime only
 * ever sees validated children and never the user's instances.
 */
import { createSyncRequest } from "../api/sync-request.js";
import type { Handler } from "../api/handler.js";
import type { OperatorConfig } from "../api/operator-config.js";
import { validateDesiredChildren } from "../api/validate-children.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import type { ResourceType } from "../core/kube-object.js";
import { InvalidResponseError } from "../core/errors.js";
import { nonJsonValues } from "../core/json-check.js";
import type { FinalizeOutcome, Snapshot, SnapshotHandler, SyncOutcome } from "../controller/controller-spec.js";
import { NO_EVENTS, type ParentEvents } from "../api/handler-context.js";
import { noopLogger, type Logger } from "../observability/logger.js";
import type { EventRecorder } from "../manager/event-recorder.js";

/** What the adapter needs to know about the operator's resolved types. */
export interface AdapterTypes {
  parent: ResourceType;
  children: readonly ResourceType[];
}

/** What the runtime lends each handler call besides the snapshot (`req.log`, `req.events`). */
export interface AdapterContext {
  /** The runtime's logger; each call gets a child with the operator and the parent. */
  logger?: Logger;
  /** The operator's Event recorder (absent with `events: false`: `req.events` then records nothing). */
  events?: Pick<EventRecorder, "normal" | "warning">;
}

/**
 * Adapts a user's `Handler` (SyncRequest in, SyncResponse out, class instances allowed) to the
 * runtime's `SnapshotHandler` (wire objects in, validated wire objects out). This is the one
 * place where user-facing classes meet the runtime.
 */
export function adaptHandler(
  handler: Handler<unknown>,
  config: OperatorConfig,
  registry: TypeRegistry,
  types: AdapterTypes,
  context: AdapterContext = {},
): SnapshotHandler {
  const operatorLog = (context.logger ?? noopLogger).child({ operator: config.name });
  const recorder = context.events;
  const requestFor = (snapshot: Snapshot, signal: AbortSignal) => {
    const { parent } = snapshot;
    const meta = parent.metadata ?? {};
    const key = meta.namespace ? `${meta.namespace}/${meta.name}` : String(meta.name);
    const events: ParentEvents = recorder
      ? {
          normal: (reason, message) => recorder.normal(parent, reason, message),
          warning: (reason, message) => recorder.warning(parent, reason, message),
        }
      : NO_EVENTS;
    return createSyncRequest<unknown>({
      parent,
      children: snapshot.children,
      registry,
      finalizing: snapshot.finalizing,
      signal,
      log: operatorLog.child({ parent: key }),
      events,
      reasons: snapshot.reasons ?? [],
      ...(config.parentClass ? { parentClass: config.parentClass } : {}),
      ...(snapshot.related ? { related: snapshot.related } : {}),
      ...(snapshot.lookup ? { lookup: snapshot.lookup } : {}),
    });
  };

  const adapted: SnapshotHandler = {
    async sync(snapshot, signal): Promise<SyncOutcome> {
      // compileOperator/defineOperator normalize results: sync resolves to a SyncResponse.
      const response = await handler.sync(requestFor(snapshot, signal));
      const status = statusToWire(registry, response.status);
      const outcome: SyncOutcome = { children: [] };
      if (status !== undefined) outcome.status = status;
      if (response.resyncAfter !== undefined) outcome.resyncAfterMs = response.resyncAfter;
      if (response.failure) {
        outcome.failed = { error: response.failure.error };
        return outcome;
      }
      outcome.children = validateDesiredChildren(response.children, {
        registry,
        parentNamespace: snapshot.parent.metadata?.namespace,
        parentNamespaced: types.parent.namespaced,
        ...(snapshot.parent.metadata?.uid ? { parentUid: snapshot.parent.metadata.uid } : {}),
        childTypes: types.children,
      });
      return outcome;
    },
  };
  if (handler.finalize) {
    const finalize = handler.finalize.bind(handler);
    adapted.finalize = async (snapshot, signal): Promise<FinalizeOutcome> => {
      const response = await finalize(requestFor(snapshot, signal));
      const outcome: FinalizeOutcome = { done: response.done };
      const status = statusToWire(registry, response.status);
      if (status !== undefined) outcome.status = status;
      if (response.retryAfter !== undefined) outcome.retryAfterMs = response.retryAfter;
      if (response.failure) outcome.failed = { error: response.failure.error };
      return outcome;
    };
  }
  return adapted;
}

/** A status may be a class instance, hold model instances or Dates: the registry gives its wire form. */
function statusToWire(registry: TypeRegistry, status: unknown): Record<string, unknown> | undefined {
  if (status === undefined || status === null) return undefined;
  // Before converting: a cycle would overflow the stack there, a BigInt fail only at write time.
  const problems = nonJsonValues(status, "status");
  if (problems.length > 0) throw new InvalidResponseError(`the status cannot be written as JSON: ${problems.join("; ")}`);
  const wire = registry.valueToWire(status);
  if (wire === null || typeof wire !== "object" || Array.isArray(wire)) {
    throw new InvalidResponseError(`a status must be an object, got ${JSON.stringify(status)}`);
  }
  return wire as Record<string, unknown>;
}
