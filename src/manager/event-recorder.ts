/**
 * Records Kubernetes Events (core/v1 `Event`) about a parent object, as `kubectl describe`
 * shows them: `recorder.warning(parent, "SyncFailed", "handler threw: ...")`.
 *
 * Guarantees:
 * - Fire and forget: recording never throws into the caller and never blocks it; write
 *   failures are logged (warn), drops by the rate limit at debug.
 * - Aggregation (as client-go's correlator): an identical event (object uid, type, reason,
 *   message) within 10 minutes bumps the existing Event's `count` and `lastTimestamp` instead of
 *   creating another object. Occurrences while a write is in flight coalesce into one write.
 * - Spam filter: a token bucket per object (burst 25, one more every 5 minutes), so a handler
 *   failing in a hot loop cannot flood the API server.
 *
 * @example
 * ```ts
 * const events = new EventRecorder({ client, component: "echo-server", logger });
 * events.warning(parent, "InvalidChild", "child 2 has no metadata.name");
 * await events.flush(); // at shutdown: let in-flight writes finish
 * ```
 */
import { hostname } from "node:os";
import type { KubeClient } from "../kube/client.js";
import { isNotFound } from "../kube/errors.js";
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { EventCorrelator, truncateMessage, type AggregatedEvent, type EventCorrelatorOptions } from "../observability/event-correlator.js";
import { noopLogger, type Logger } from "../observability/logger.js";

/** The resource of core/v1 Events. */
export const EVENT_RESOURCE: ResourceType = {
  group: "",
  version: "v1",
  apiVersion: "v1",
  kind: "Event",
  plural: "events",
  namespaced: true,
};

/** `type` of an Event. */
export type EventType = "Normal" | "Warning";

/** The part of KubeClient the recorder uses. */
export type EventClient = Pick<KubeClient, "create" | "patch">;

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions extends EventCorrelatorOptions {
  client: EventClient;
  /** `source.component` and `reportingComponent`: the operator's name. */
  component: string;
  /** `source.host` and `reportingInstance`. Default: the hostname. */
  instance?: string;
  logger?: Logger;
}

/**
 * Makes Event names unique within the process, across recorders: two recorders (one per operator,
 * plus the injectable one) naming an Event of the same object in the same millisecond must not
 * collide (the second create was refused with 409 AlreadyExists and the Event lost).
 */
let nameSequence = 0;

/** Writes Events through the KubeClient; one per operator. */
export class EventRecorder {
  private readonly client: EventClient;
  private readonly component: string;
  private readonly instance: string;
  private readonly logger: Logger;
  private readonly correlator: EventCorrelator;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.component = options.component;
    this.instance = options.instance ?? hostname();
    this.logger = options.logger ?? noopLogger;
    this.correlator = new EventCorrelator(options);
  }

  /** Records a `Normal` event on `object`. */
  normal(object: KubeObject, reason: string, message: string): void {
    this.record(object, "Normal", reason, message);
  }

  /** Records a `Warning` event on `object`. */
  warning(object: KubeObject, reason: string, message: string): void {
    this.record(object, "Warning", reason, message);
  }

  /** Records an event of `type` on `object`; never throws. */
  record(object: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const meta = object.metadata ?? {};
      if (!meta.name) {
        this.logger.debug("event not recorded: the involved object has no name", { reason });
        return;
      }
      const objectKey = meta.uid ?? `${object.apiVersion}/${object.kind}/${meta.namespace ?? ""}/${meta.name}`;
      if (!this.correlator.allow(objectKey)) {
        this.logger.debug("event dropped by the per-object rate limit", { object: `${meta.namespace ?? ""}/${meta.name}`, reason });
        return;
      }
      const text = truncateMessage(message);
      // Events of cluster-scoped objects live in "default", as client-go records them.
      const namespace = meta.namespace || "default";
      const entry = this.correlator.observe(JSON.stringify([objectKey, type, reason, text]), namespace);
      if (!entry.writing) {
        const writing = this.drain(entry, object, type, reason, text).finally(() => {
          entry.writing = undefined;
          this.inFlight.delete(writing);
        });
        entry.writing = writing;
        this.inFlight.add(writing);
      }
    } catch (err) {
      this.logger.warn("event not recorded", { reason, err });
    }
  }

  /** Resolves when every write in flight has finished (used at shutdown and by tests). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Writes until the server's count matches the occurrences seen (they may grow meanwhile). */
  private async drain(entry: AggregatedEvent, object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    try {
      while (entry.written < entry.count) {
        const count = entry.count;
        const lastTimestamp = entry.lastTimestamp;
        if (entry.name) {
          try {
            await this.client.patch(EVENT_RESOURCE, entry.namespace, entry.name, { count, lastTimestamp }, "merge");
            entry.written = count;
            continue;
          } catch (err) {
            // Events expire (the apiserver's --event-ttl, 1 h by default): start a new one.
            if (!isNotFound(err)) throw err;
            entry.name = undefined;
          }
        }
        const created = await this.client.create(EVENT_RESOURCE, this.buildEvent(entry, object, type, reason, message, count));
        entry.name = created.metadata?.name;
        entry.written = count;
      }
    } catch (err) {
      // Left as is: the next identical occurrence retries with the full count.
      this.logger.warn("could not write Kubernetes Event", { reason, object: `${entry.namespace}/${object.metadata?.name}`, err });
    }
  }

  private buildEvent(
    entry: AggregatedEvent,
    object: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    count: number,
  ): KubeObject {
    const meta = object.metadata ?? {};
    const involvedObject: Record<string, string> = {};
    if (object.apiVersion) involvedObject.apiVersion = object.apiVersion;
    if (object.kind) involvedObject.kind = object.kind;
    if (meta.namespace) involvedObject.namespace = meta.namespace;
    involvedObject.name = meta.name!;
    if (meta.uid) involvedObject.uid = meta.uid;
    if (meta.resourceVersion) involvedObject.resourceVersion = meta.resourceVersion;
    return {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: this.eventName(meta.name!), namespace: entry.namespace },
      involvedObject,
      type,
      reason,
      message,
      count,
      firstTimestamp: entry.firstTimestamp,
      lastTimestamp: entry.lastTimestamp,
      source: { component: this.component, host: this.instance },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
  }

  /** `<object name>.<hex nanoseconds>` as client-go names Events; unique within this process (`nameSequence`). */
  private eventName(objectName: string): string {
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(nameSequence++ % 1_000_000);
    const suffix = `.${nanos.toString(16)}`;
    return objectName.slice(0, 253 - suffix.length) + suffix;
  }
}
