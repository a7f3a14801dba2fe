/**
 * `OperatorEvents`: the runtime's Event recorder as an injectable service, so that any service of
 * an operator can record a Kubernetes Event about an object without the request being passed down.
 *
 * Owns nothing but the binding: the runner attaches a recorder (`EventRecorder`: aggregation,
 * per-object rate limit, fire and forget) when it starts and detaches it when it stops. Events
 * recorded while none is attached (before start, after stop, with `events: false`) are dropped
 * with a debug line. Never throws.
 */
import type { KubeObject } from "../core/kube-object.js";
import { noopLogger, type Logger } from "../observability/logger.js";
import type { EventRecorder, EventType } from "./event-recorder.js";

/**
 * Records Kubernetes Events on any object (usually a parent), through the running runtime's recorder.
 * Inject it by type (tsyringe or Nest); in a handler, `req.events` is the same for the parent.
 *
 * ```ts
 * @injectable()
 * class Backups {
 *   constructor(private readonly events: OperatorEvents) {}
 *   done(parent: KubeObject) { this.events.normal(parent, "BackupDone", "backup written"); }
 * }
 * ```
 */
export class OperatorEvents {
  private recorder: Pick<EventRecorder, "record"> | undefined;
  private logger: Logger = noopLogger;

  /** @internal The runner connects its recorder (undefined disconnects it). */
  attach(recorder: Pick<EventRecorder, "record"> | undefined, logger?: Logger): void {
    this.recorder = recorder;
    if (logger) this.logger = logger;
  }

  /** Whether a running runtime records what is given here. */
  get attached(): boolean {
    return this.recorder !== undefined;
  }

  /** Records a `Normal` event on `object` (a wire object or a model instance with apiVersion, kind and metadata). */
  normal(object: KubeObject | object, reason: string, message: string): void {
    this.record(object, "Normal", reason, message);
  }

  /** Records a `Warning` event on `object`. */
  warning(object: KubeObject | object, reason: string, message: string): void {
    this.record(object, "Warning", reason, message);
  }

  /** Records an event of `type` on `object`; never throws. */
  record(object: KubeObject | object, type: EventType, reason: string, message: string): void {
    if (!this.recorder) {
      this.logger.debug("event not recorded: no running operator runtime records events", { reason });
      return;
    }
    this.recorder.record(object as KubeObject, type, reason, message);
  }
}
