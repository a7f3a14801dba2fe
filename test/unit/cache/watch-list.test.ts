import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { WatchEvent } from "../../../src/core/kube-object.js";
import { classifyStreamedEvent, INITIAL_EVENTS_END_ANNOTATION, refusesWatchList } from "../../../src/cache/watch-list.js";
import {
  DEFAULT_WATCH_LOOP_OPTIONS,
  initialStep,
  step,
  type StepContext,
  type WatchAction,
  type WatchState,
} from "../../../src/cache/watch-state.js";

const streaming = { ...DEFAULT_WATCH_LOOP_OPTIONS, watchList: true };
function ctx(options = streaming, now = 1_000_000): StepContext {
  return { now, random: () => 0.5, options };
}
const kinds = (actions: WatchAction[]) => actions.map((a) => a.type);
const bookmark = (rv: string, annotations?: Record<string, string>): WatchEvent => ({
  type: "BOOKMARK",
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { resourceVersion: rv, ...(annotations ? { annotations } : {}) } },
});
const added: WatchEvent = { type: "ADDED", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", resourceVersion: "5" } } };

describe("streaming list events", () => {
  it("an ADDED event is an item of the list", () => {
    assert.deepEqual(classifyStreamedEvent(added), { kind: "item" });
  });

  it("only the bookmark annotated initial-events-end completes the list, at its resourceVersion", () => {
    assert.deepEqual(classifyStreamedEvent(bookmark("42", { [INITIAL_EVENTS_END_ANNOTATION]: "true" })), {
      kind: "end",
      resourceVersion: "42",
    });
    assert.deepEqual(classifyStreamedEvent(bookmark("41")), { kind: "skip" });
    assert.deepEqual(classifyStreamedEvent(bookmark("41", { [INITIAL_EVENTS_END_ANNOTATION]: "false" })), { kind: "skip" });
  });

  it("an ERROR event is an error", () => {
    assert.deepEqual(classifyStreamedEvent({ type: "ERROR", object: { code: 500 } as never }), { kind: "error" });
  });

  it("refusals are answers that say the request is not understood, not outages, throttling or 410", () => {
    for (const statusCode of [400, 404, 405, 406, 415, 422, 501])
      assert.ok(refusesWatchList({ gone: false, message: "x", statusCode }), `${statusCode}`);
    for (const statusCode of [401, 403, 410, 429, 500, 503])
      assert.ok(!refusesWatchList({ gone: statusCode === 410, message: "x", statusCode }), `${statusCode}`);
    assert.ok(!refusesWatchList({ gone: false, message: "ECONNRESET" }), "a network error");
  });
});

describe("watch state machine with streaming lists", () => {
  it("starts with a streaming list from a consistent read", () => {
    const { state, actions } = initialStep(ctx());
    assert.equal(state.kind, "Listing");
    assert.deepEqual(actions, [{ type: "watchList", resourceVersion: "", timeoutSeconds: 450, inactivityTimeoutMs: 150_000 }]);
  });

  it("is synced at the end bookmark: replaces the store and watches from its resourceVersion", () => {
    const { state } = initialStep(ctx());
    const done = step(state, { type: "listDone", resourceVersion: "42" }, ctx());
    assert.equal(done.state.kind, "Watching");
    assert.deepEqual(kinds(done.actions), ["replaceStore", "watch"]);
    assert.deepEqual(done.actions[0], { type: "replaceStore", resourceVersion: "42" });
    assert.equal((done.actions[1] as Extract<WatchAction, { type: "watch" }>).resourceVersion, "42");
  });

  it("a refusal lists with pages at once and turns streaming off for good", () => {
    const { state } = initialStep(ctx());
    const refused = step(state, { type: "listError", error: { gone: false, message: "invalid", statusCode: 422 } }, ctx());
    assert.deepEqual(kinds(refused.actions), ["log", "disableWatchList", "list"]);
    assert.deepEqual(refused.actions[2], { type: "list", resourceVersion: "0", limit: 500 });
    assert.equal(refused.state.kind === "Listing" && refused.state.streaming, undefined);
    assert.equal(refused.state.health.consecutiveErrors, 0, "a refusal is an answer, not a failure");
  });

  it("a stream that ends cleanly without the end bookmark is a refusal (a server that ignores sendInitialEvents)", () => {
    const { state } = initialStep(ctx());
    const ended = step(state, { type: "streamEnded", events: 3 }, ctx());
    assert.deepEqual(kinds(ended.actions), ["log", "disableWatchList", "list"]);
  });

  it("other failures back off and stream again", () => {
    const { state } = initialStep(ctx());
    const failed = step(state, { type: "listError", error: { gone: false, message: "forbidden", statusCode: 403 } }, ctx());
    assert.equal(failed.state.kind, "Backoff");
    const retry = step(failed.state, { type: "backoffElapsed" }, ctx());
    assert.equal(retry.actions[0]?.type, "watchList");
  });

  it("after the fallback (options say watchList off) a relist after 410 lists with pages", () => {
    const watching: WatchState = {
      kind: "Watching",
      resourceVersion: "42",
      health: { backoff: { attempt: 0, lastFailureAt: 0 }, consecutiveErrors: 0 },
    };
    const gone = { type: "watchError", error: { gone: true, message: "too old", statusCode: 410 } } as const;
    assert.equal(step(watching, gone, ctx()).actions.at(-1)?.type, "watchList", "still streaming: relists stream");
    assert.deepEqual(step(watching, gone, ctx(DEFAULT_WATCH_LOOP_OPTIONS)).actions.at(-1), {
      type: "list",
      resourceVersion: "",
      limit: 500,
    });
  });

  it("streamEnded outside a streaming list changes nothing", () => {
    const { state } = initialStep(ctx(DEFAULT_WATCH_LOOP_OPTIONS));
    assert.deepEqual(step(state, { type: "streamEnded", events: 0 }, ctx(DEFAULT_WATCH_LOOP_OPTIONS)).actions, []);
  });
});
