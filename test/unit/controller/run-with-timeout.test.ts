/**
 * runWithTimeout with no server: a handler call under the timeout, and what happens when the outer
 * signal (shutdown, lease lost) aborts while the call ignores its own signal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runWithTimeout } from "../../../src/controller/run-with-timeout.js";
import { HandlerTimeoutError } from "../../../src/core/errors.js";

const never = () => new Promise<never>(() => undefined);
/** Rejects when `ms` pass first: a guard, far above what the behaviour under test needs. */
const guard = (ms: number) => new Promise<"guard">((resolve) => setTimeout(() => resolve("guard"), ms).unref());

test("a call past its timeout is abandoned with HandlerTimeoutError, and onAbandoned is told", async () => {
  let abandoned = 0;
  const call = runWithTimeout({ operation: "sync", parentKey: "ns/p", timeoutMs: 20, onAbandoned: () => abandoned++ }, never);
  await assert.rejects(call, HandlerTimeoutError);
  assert.equal(abandoned, 1);
});

test("shutdown: a call that ignores its aborted signal is abandoned after the abort grace, not held until its timeout", async () => {
  const outer = new AbortController();
  let abandoned = 0;
  const call = runWithTimeout(
    { operation: "sync", parentKey: "ns/p", timeoutMs: 60_000, outer: outer.signal, abortGraceMs: 50, onAbandoned: () => abandoned++ },
    never,
  );
  setTimeout(() => outer.abort(new Error("manager stopped")), 10);
  const outcome = await Promise.race([
    call.then(
      () => "resolved",
      (error: Error) => error.message,
    ),
    guard(5_000),
  ]);
  assert.equal(outcome, "manager stopped", "rejected with the outer signal's reason, well before the 60 s timeout");
  assert.equal(abandoned, 1, "the still-running call is tracked like one abandoned at its timeout");
});

test("shutdown: a call that honours its signal within the grace gives its own outcome and is not abandoned", async () => {
  const outer = new AbortController();
  let abandoned = 0;
  const call = runWithTimeout(
    { operation: "sync", parentKey: "ns/p", timeoutMs: 60_000, outer: outer.signal, abortGraceMs: 5_000, onAbandoned: () => abandoned++ },
    (signal) =>
      new Promise<string>((resolve) => {
        const cleanUp = () => setTimeout(() => resolve("cleaned up"), 20);
        if (signal.aborted) cleanUp();
        else signal.addEventListener("abort", cleanUp, { once: true });
      }),
  );
  outer.abort(new Error("manager stopped"));
  assert.equal(await call, "cleaned up");
  assert.equal(abandoned, 0);
});

test("an outer signal aborted before the call starts gets the grace too", async () => {
  const outer = new AbortController();
  outer.abort(new Error("lease lost"));
  const call = runWithTimeout(
    { operation: "finalize", parentKey: "ns/p", timeoutMs: 60_000, outer: outer.signal, abortGraceMs: 20 },
    never,
  );
  const outcome = await Promise.race([
    call.then(
      () => "resolved",
      (error: Error) => error.message,
    ),
    guard(5_000),
  ]);
  assert.equal(outcome, "lease lost");
});
