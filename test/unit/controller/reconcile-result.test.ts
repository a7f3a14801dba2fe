import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { reconcileDecisionOf, resultOfError } from "../../../src/controller/reconcile-result.js";
import { TerminalError, WritesStoppedError } from "../../../src/core/errors.js";
import { TerminalError as PublicTerminalError } from "../../../src/index.js";

describe("the reconcile contract (result → queue action, metric, counts; no server)", () => {
  const boom = new Error("boom");

  it("done: success, the failure history is forgotten, nothing scheduled", () => {
    assert.deepEqual(reconcileDecisionOf({ kind: "done" }), {
      queue: { type: "success" },
      metric: "success",
      failure: false,
      terminal: false,
    });
  });

  it("requeue after: success, another run after the delay", () => {
    assert.deepEqual(reconcileDecisionOf({ kind: "requeue", afterMs: 30_000 }), {
      queue: { type: "success", requeueAfterMs: 30_000 },
      metric: "requeue_after",
      failure: false,
      terminal: false,
    });
  });

  it("failed: a counted failure retried with backoff, or after the time an error handler chose", () => {
    assert.deepEqual(reconcileDecisionOf({ kind: "failed", error: boom }), {
      queue: { type: "retry", error: boom },
      metric: "error",
      failure: true,
      terminal: false,
    });
    assert.deepEqual(reconcileDecisionOf({ kind: "failed", error: boom, retryAfterMs: 60_000 }).queue, {
      type: "retry",
      error: boom,
      afterMs: 60_000,
    });
  });

  it("terminal: a counted, terminal failure that is dropped (not retried until an event)", () => {
    const error = new TerminalError("spec.image is required");
    assert.deepEqual(reconcileDecisionOf({ kind: "terminal", error }), {
      queue: { type: "drop", error },
      metric: "error",
      failure: true,
      terminal: true,
    });
  });

  it("skipped while an abandoned call runs: no failure, nothing scheduled (it re-adds the key when it returns)", () => {
    assert.deepEqual(reconcileDecisionOf({ kind: "skipped", reason: "busy" }), {
      queue: { type: "wait" },
      metric: "requeue",
      failure: false,
      terminal: false,
    });
  });

  it("skipped because writes stopped: no failure is counted or reported", () => {
    const d = reconcileDecisionOf({ kind: "skipped", reason: "stopped" });
    assert.equal(d.failure, false);
    assert.equal(d.terminal, false);
    assert.equal(d.queue.type, "retry");
  });

  it("classifies errors: TerminalError (also by name, from another copy of the package) is terminal", () => {
    assert.equal(resultOfError(new PublicTerminalError("no")).kind, "terminal");
    const foreign = Object.assign(new Error("no"), { name: "TerminalError" });
    assert.equal(resultOfError(foreign).kind, "terminal");
    assert.deepEqual(resultOfError(boom), { kind: "failed", error: boom });
    assert.deepEqual(resultOfError(boom, 5), { kind: "failed", error: boom, retryAfterMs: 5 });
    assert.deepEqual(resultOfError(new WritesStoppedError("not leading")), { kind: "skipped", reason: "stopped" });
  });
});
