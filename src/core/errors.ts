/**
 * The errors the user-facing API throws. Each message says what is wrong and how to fix it,
 * because these messages end up in logs and Kubernetes Events read by operator authors.
 */

/** An operator definition (decorators or `OperatorConfig`) is invalid; thrown at start-up. */
export class OperatorDefinitionError extends Error {
  /** Every problem found, one sentence each (the message lists them all). */
  readonly problems: readonly string[];

  constructor(subject: string, problems: readonly string[]) {
    super(
      problems.length === 1
        ? `${subject}: ${problems[0]}`
        : `${subject} has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "OperatorDefinitionError";
    this.problems = problems;
  }
}

/** A class, K8sType or apiVersion/kind that the type registry cannot map. */
export class UnknownTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnknownTypeError";
  }
}

/** One problem with one desired child returned by a handler. */
export interface ChildProblem {
  /** Position of the child in the handler's list of children. */
  readonly index: number;
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Describes a child for messages: `#2 apps/v1 Deployment "web"`. */
export function describeChild(p: Omit<ChildProblem, "message">): string {
  const type = p.apiVersion || p.kind ? ` ${p.apiVersion ?? "?"} ${p.kind ?? "?"}` : "";
  const where = p.name !== undefined ? ` "${p.namespace ? `${p.namespace}/` : ""}${p.name}"` : "";
  return `#${p.index}${type}${where}`;
}

/**
 * A handler returned one or more invalid children. Nothing of that response is written: the
 * runtime logs this error, records an Event on the parent and retries with backoff.
 */
export class InvalidChildError extends Error {
  readonly problems: readonly ChildProblem[];

  constructor(problems: readonly ChildProblem[]) {
    const lines = problems.map((p) => `  - child ${describeChild(p)}: ${p.message}`);
    super(
      `the handler returned ${problems.length === 1 ? "an invalid child" : `${problems.length} problems with its children`}; ` +
        `nothing was written:\n${lines.join("\n")}`,
    );
    this.name = "InvalidChildError";
    this.problems = problems;
  }
}

/** A handler returned something that is not a response (e.g. `undefined` or a string). */
export class InvalidResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidResponseError";
  }
}

/** A sync or finalize handler ran longer than the operator's handler timeout. */
export class HandlerTimeoutError extends Error {
  readonly operation: "sync" | "finalize";
  readonly timeoutMs: number;

  constructor(operation: "sync" | "finalize", timeoutMs: number, parentKey?: string) {
    super(
      `${operation} of ${parentKey ? `parent ${parentKey}` : "a parent"} did not finish within ${timeoutMs} ms and was abandoned; ` +
        `make the handler faster, pass req.signal to the calls that can hang, ` +
        `or raise the limit with handlerTimeoutMs / OperatorConfig.withHandlerTimeout()`,
    );
    this.name = "HandlerTimeoutError";
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Thrown by a sync or finalize handler to say that retrying cannot help (controller-runtime's
 * `reconcile.TerminalError`): the spec asks for something impossible, a referenced object is
 * invalid for good. The runtime logs it, records a Warning Event (`TerminalError`) on the parent,
 * counts it in `controller_runtime_terminal_reconcile_errors_total`, writes nothing and does not
 * retry the parent until an event for it arrives (a change of the parent or of one of its children).
 *
 * @example
 * ```ts
 * if (!req.parent.spec.image) throw new TerminalError("spec.image is required");
 * ```
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TerminalError";
  }
}

/** True for a `TerminalError` (also one from another copy of the package, matched by name). */
export function isTerminalError(error: unknown): boolean {
  return error instanceof TerminalError || (error instanceof Error && error.name === "TerminalError");
}

/**
 * A write was not sent because the operator must not write any more: shutdown began, or this
 * replica's leader lease is no longer valid. Not a failure of the parent: nothing is reported.
 */
export class WritesStoppedError extends Error {
  constructor(reason: "shutdown" | "not leading") {
    super(
      reason === "shutdown" ? "not written: the operator is shutting down" : "not written: this replica no longer holds the leader lease",
    );
    this.name = "WritesStoppedError";
  }
}

/**
 * What a handler threw, in words, for values that are not `Error`s (`throw "db down"`,
 * `throw undefined`, `Promise.reject({ code })`): `String()` of them reads "undefined" or
 * "[object Object]" in an Event, which tells the user nothing. Names the type and shows the value
 * (objects as JSON). Errors give their own message.
 */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (thrown === undefined || thrown === null) return `threw ${thrown} (not an Error): throw new Error("...") to say what failed`;
  const type = Array.isArray(thrown) ? "an array" : typeof thrown === "object" ? "an object" : `a ${typeof thrown}`;
  return `threw ${type}, not an Error: ${showValue(thrown)}`;
}

function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value !== "object") return String(value);
  try {
    const json = JSON.stringify(value);
    if (json !== undefined && json !== "{}") return json.length > 500 ? `${json.slice(0, 500)}…` : json;
  } catch {
    // a cycle or a BigInt inside: fall back to the constructor's name
  }
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `an instance of ${name}` : String(value);
}

/**
 * An error handler (`[sync, onError]`, `failable`'s `determineStatus`) failed while answering a
 * failed sync: both failures are kept, so the one it was answering is not lost from the report.
 */
export class ErrorHandlerFailedError extends Error {
  constructor(
    /** The sync's own failure, the one the error handler was answering. */
    readonly original: unknown,
    /** What the error handler threw. */
    readonly failure: unknown,
  ) {
    super(`the error handler failed: ${describeThrown(failure)}; the failure it was answering: ${describeThrown(original)}`, {
      cause: failure,
    });
    this.name = "ErrorHandlerFailedError";
  }
}
