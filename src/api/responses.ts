/**
 * What handlers return: `SyncResponse` (desired status, the complete set of desired children,
 * an optional resync) and `FinalizeResponse` (done, or retry after a delay).
 */
import { InvalidResponseError } from "../core/errors.js";

/**
 * A desired child: a class instance (`V1Pod`, a `@KubernetesType` class) or a plain wire object
 * (`{ apiVersion, kind, metadata, ... }`). The runtime converts and validates it.
 */
export type DesiredChild = object;

/** What a failed sync answers through an error function or a failable handler. */
export interface ErrorResponse {
  /** The parent's status to write (undefined: leave the status as it is). */
  readonly status?: unknown;
  /** Sync again after this many ms (undefined: the runtime's own backoff decides). */
  readonly resyncAfter?: number;
}

/** Marks a response given in place of a failed sync: existing children are kept as they are. */
export interface SyncFailure {
  /** What the handler failed with; the runtime logs it, counts it and records an Event. */
  readonly error: unknown;
}

const SYNC_RESPONSE_KEYS = new Set(["status", "children", "resyncAfter"]);
const FINALIZE_RESPONSE_KEYS = new Set(["done", "retryAfter", "status"]);

function checkDelay(ms: unknown, what: string): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidResponseError(`${what} must be a finite number of milliseconds >= 0, got ${JSON.stringify(ms) ?? String(ms)}`);
  }
  return ms;
}

/**
 * The result of a sync: the parent's desired status and the **complete** set of desired
 * children (children not listed are deleted). A builder: `with*` methods change this response
 * and return it.
 *
 * ```ts
 * return SyncResponse.of({ ready: true }).withChild(pod).withChild(service).withResyncAfter(60_000);
 * ```
 */
export class SyncResponse {
  /** The parent's desired status; undefined leaves the status as it is. */
  status?: unknown;
  /** The desired children (instances or plain wire objects). */
  readonly children: DesiredChild[] = [];
  /** Sync this parent again after this many ms even without events. */
  resyncAfter?: number;
  /**
   * Set when this response stands in for a failed sync (error function, failable handler): the
   * runtime writes the status, schedules the resync and keeps every existing child untouched,
   * since a failed sync says nothing about which children should exist.
   */
  failure?: SyncFailure;

  /** A response with this status (or none) and no children yet. */
  static of(status?: unknown): SyncResponse {
    const r = new SyncResponse();
    r.status = status;
    return r;
  }

  /**
   * A response for a failed sync: status and resync apply, existing children are kept.
   * Used by `withErrorHandler` and `failable`; handlers rarely call it themselves.
   */
  static failed(error: unknown, answer: ErrorResponse = {}): SyncResponse {
    const r = SyncResponse.of(answer.status);
    if (answer.resyncAfter !== undefined) r.withResyncAfter(answer.resyncAfter);
    r.failure = Object.freeze({ error });
    return r;
  }

  /**
   * Normalizes what a sync handler returned: a `SyncResponse`, or a plain
   * `{ status?, children?, resyncAfter? }`. Throws `InvalidResponseError` for anything else.
   */
  static from(value: unknown): SyncResponse {
    if (value instanceof SyncResponse) return value;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InvalidResponseError(
        `a sync handler must return a SyncResponse (e.g. SyncResponse.of(status).withChild(...)), got ${describe(value)}`,
      );
    }
    // Strict on purpose: an empty response deletes every child, so a Pod returned by mistake
    // (or an object with misspelt keys) must not pass as "no children".
    const proto = Object.getPrototypeOf(value);
    const unknownKeys = Object.keys(value).filter((k) => !SYNC_RESPONSE_KEYS.has(k));
    if ((proto !== Object.prototype && proto !== null) || unknownKeys.length > 0) {
      throw new InvalidResponseError(
        `a sync handler must return a SyncResponse or { status?, children?, resyncAfter? }, got ${describe(value)}` +
          (unknownKeys.length > 0 ? ` with unexpected keys ${unknownKeys.join(", ")}` : "") +
          `; to return a child use SyncResponse.of(status).withChild(child)`,
      );
    }
    const v = value as { status?: unknown; children?: unknown; resyncAfter?: unknown };
    if (v.children !== undefined && !Array.isArray(v.children)) {
      throw new InvalidResponseError(`the "children" of a sync response must be an array, got ${describe(v.children)}`);
    }
    const r = SyncResponse.of(v.status).withChildren(...((v.children as DesiredChild[] | undefined) ?? []));
    if (v.resyncAfter !== undefined) r.withResyncAfter(v.resyncAfter as number);
    return r;
  }

  /** Sets the desired status. */
  withStatus(status: unknown): this {
    this.status = status;
    return this;
  }

  /** Adds one desired child. */
  withChild(child: DesiredChild): this {
    this.children.push(child);
    return this;
  }

  /** Adds desired children. */
  withChildren(...children: DesiredChild[]): this {
    this.children.push(...children);
    return this;
  }

  /** Syncs again after `ms` milliseconds even when nothing changes. */
  withResyncAfter(ms: number): this {
    this.resyncAfter = checkDelay(ms, "resyncAfter");
    return this;
  }
}

/**
 * The result of a finalize call. `done()` lets the deletion proceed (the finalizer is removed);
 * `retryAfter(ms)` calls finalize again after `ms`. The status is written only while not done
 * (once done, the parent is on its way out and a status write would race its deletion).
 */
export class FinalizeResponse {
  /** Set when the finalize failed but answered (`failed`): the runtime reports it like a thrown error. */
  declare readonly failure?: SyncFailure;

  private constructor(
    /** true: cleanup finished, remove the finalizer. */
    readonly done: boolean,
    /** Status to write while not done. */
    readonly status: unknown,
    /** When not done: call finalize again after this many ms. */
    readonly retryAfter: number | undefined,
    failure?: SyncFailure,
  ) {
    if (failure) (this as { failure?: SyncFailure }).failure = failure;
    Object.freeze(this);
  }

  /** Cleanup is finished; the finalizer is removed. */
  static done(status?: unknown): FinalizeResponse {
    return new FinalizeResponse(true, status, undefined);
  }

  /** Not finished: write `status` and call finalize again after `ms` milliseconds. */
  static retryAfter(ms: number, status?: unknown): FinalizeResponse {
    return new FinalizeResponse(false, status, checkDelay(ms, "retryAfter"));
  }

  /**
   * A failed finalize that answered with a status (used by `failable`): not done, `status` is
   * written and finalize is called again after `retryAfter` ms; the failure is reported like a
   * thrown error (log, Warning Event, metric, a False `Synced` condition), and like a thrown
   * `TerminalError` it is not retried when `error` is one.
   */
  static failed(error: unknown, answer: { status?: unknown; retryAfter: number }): FinalizeResponse {
    return new FinalizeResponse(false, answer.status, checkDelay(answer.retryAfter, "retryAfter"), Object.freeze({ error }));
  }

  /**
   * Normalizes what a finalize handler returned: a `FinalizeResponse`, `undefined` (= done), or a
   * plain `{ done?, retryAfter?, status? }` (done unless retryAfter is given).
   */
  static from(value: unknown): FinalizeResponse {
    if (value instanceof FinalizeResponse) return value;
    if (value === undefined) return FinalizeResponse.done();
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InvalidResponseError(
        `a finalize handler must return FinalizeResponse.done() or FinalizeResponse.retryAfter(ms), got ${describe(value)}`,
      );
    }
    const proto = Object.getPrototypeOf(value);
    const unknownKeys = Object.keys(value).filter((k) => !FINALIZE_RESPONSE_KEYS.has(k));
    if ((proto !== Object.prototype && proto !== null) || unknownKeys.length > 0) {
      throw new InvalidResponseError(
        `a finalize handler must return FinalizeResponse.done() or FinalizeResponse.retryAfter(ms), got ${describe(value)}` +
          (unknownKeys.length > 0 ? ` with unexpected keys ${unknownKeys.join(", ")}` : ""),
      );
    }
    const v = value as { done?: unknown; retryAfter?: unknown; status?: unknown };
    if (v.retryAfter !== undefined && v.done !== true) return FinalizeResponse.retryAfter(v.retryAfter as number, v.status);
    if (v.done === false) {
      throw new InvalidResponseError(`a finalize response with done: false needs retryAfter (ms until the next attempt)`);
    }
    return FinalizeResponse.done(v.status);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined (did the handler forget to return?)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "an unknown class"}`;
  return `a ${typeof value}`;
}
