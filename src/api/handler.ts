/**
 * Handlers without decorators, as in roperator: a `Handler` object, a plain sync function, or a
 * sync function paired with an error function.
 */
import type { KubeObject } from "../core/kube-object.js";
import { ErrorHandlerFailedError, OperatorDefinitionError } from "../core/errors.js";
import { SyncResponse, type ErrorResponse, type FinalizeResponse } from "./responses.js";
import type { SyncRequest } from "./sync-request.js";
import { toApiError } from "../kube/errors.js";

/** A value or a promise of it: handlers may be sync or async. */
export type MaybePromise<T> = T | Promise<T>;

/** The handler of one operator: sync (required) and finalize (optional). */
export interface Handler<P = KubeObject> {
  /** Returns the parent's desired status and the complete set of desired children. */
  sync(req: SyncRequest<P>): MaybePromise<SyncResponse>;
  /** Cleans up before the parent is deleted; only called when the operator has a finalizer. */
  finalize?(req: SyncRequest<P>): MaybePromise<FinalizeResponse>;
}

/** A sync handler as a plain function. */
export type SyncFunction<P = KubeObject> = (req: SyncRequest<P>) => MaybePromise<SyncResponse>;

/**
 * Answers a failed sync: the status to write and when to try again. Existing children are kept
 * (roperator answered with no children and so deleted them all).
 */
export type ErrorFunction<P = KubeObject> = (req: SyncRequest<P>, error: unknown) => MaybePromise<ErrorResponse>;

/** Everything `defineOperator` accepts as a handler. */
export type HandlerLike<P = KubeObject> = Handler<P> | SyncFunction<P> | readonly [SyncFunction<P>, ErrorFunction<P>];

/**
 * roperator's pair of a sync function and an error function as one `Handler`: when `sync`
 * throws or rejects, `onError` decides the status and resync, and the response is marked
 * failed so that the runtime keeps every existing child and still reports the error.
 */
export function withErrorHandler<P>(sync: SyncFunction<P>, onError: ErrorFunction<P>): Handler<P> {
  return {
    async sync(req) {
      try {
        return SyncResponse.from(await sync(req));
      } catch (thrown) {
        const error = toApiError(thrown); // client-node's exceptions, in the server's words
        return answerFailure(error, async () => SyncResponse.failed(error, (await onError(req, error)) ?? {}));
      }
    },
  };
}

/**
 * Runs an error handler's answer to `error`; if the answer itself fails (it throws, or is invalid),
 * the sync fails with both errors, so the one being answered is still reported.
 */
export async function answerFailure<T>(error: unknown, answer: () => Promise<T>): Promise<T> {
  try {
    return await answer();
  } catch (failure) {
    throw new ErrorHandlerFailedError(error, failure);
  }
}

/** Turns any accepted handler shape into a `Handler` (methods bound to their object). */
export function normalizeHandler<P>(handler: HandlerLike<P>, operatorName = "operator"): Handler<P> {
  if (typeof handler === "function") return { sync: handler };
  if (Array.isArray(handler)) {
    const [sync, onError] = handler as readonly unknown[];
    if (handler.length === 2 && typeof sync === "function" && typeof onError === "function") {
      return withErrorHandler(sync as SyncFunction<P>, onError as ErrorFunction<P>);
    }
  } else if (handler && typeof (handler as Handler<P>).sync === "function") {
    const h = handler as Handler<P>;
    const finalize = h.finalize;
    if (finalize !== undefined && typeof finalize !== "function") {
      throw new OperatorDefinitionError(`operator "${operatorName}"`, ["the handler's finalize must be a method"]);
    }
    return finalize ? { sync: (req) => h.sync(req), finalize: (req) => finalize.call(h, req) } : { sync: (req) => h.sync(req) };
  }
  throw new OperatorDefinitionError(`operator "${operatorName}"`, [
    "the handler must be an object with a sync(req) method, a sync function, or a [sync, onError] pair of functions",
  ]);
}
