import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { WatchEvent } from "../../../src/core/kube-object.js";
import {
  classifyFailure,
  DEFAULT_WATCH_LOOP_OPTIONS,
  failureFromErrorEvent,
  HEALTHY,
  initialStep,
  step,
  type StepContext,
  type WatchAction,
  type WatchState,
} from "../../../src/cache/watch-state.js";

function ctx(now = 1_000_000, random = 0.5): StepContext {
  return { now, random: () => random, options: DEFAULT_WATCH_LOOP_OPTIONS };
}
const watching = (rv: string, consecutiveErrors = 0): WatchState => ({
  kind: "Watching",
  resourceVersion: rv,
  health: consecutiveErrors ? { backoff: { attempt: consecutiveErrors, lastFailureAt: 0 }, consecutiveErrors } : HEALTHY,
});
const event = (type: WatchEvent["type"], rv: string): WatchEvent => ({
  type,
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "d", resourceVersion: rv } },
});
const kinds = (actions: WatchAction[]) => actions.map((a) => a.type);
const gone = { gone: true, message: "too old", statusCode: 410 };
const forbidden = { gone: false, message: "forbidden", statusCode: 403 };

describe("watch state machine", () => {
  it("starts with a paged list at resourceVersion 0", () => {
    const { state, actions } = initialStep(ctx());
    assert.equal(state.kind, "Listing");
    assert.deepEqual(actions, [{ type: "list", resourceVersion: "0", limit: 500 }]);
  });

  it("asks for the next page with the continue token only", () => {
    const first = initialStep(ctx()).state;
    const { state, actions } = step(first, { type: "listPage", continue: "tok" }, ctx());
    assert.equal(state.kind, "Listing");
    assert.deepEqual(actions, [{ type: "list", continue: "tok", limit: 500 }]);
  });

  it("after the last page replaces the store and watches from the list's version with bookmarks", () => {
    const first = initialStep(ctx()).state;
    const { state, actions } = step(first, { type: "listDone", resourceVersion: "42" }, ctx(0, 0.5));
    assert.deepEqual(state, { kind: "Watching", resourceVersion: "42", health: HEALTHY });
    assert.deepEqual(actions[0], { type: "replaceStore", resourceVersion: "42" });
    const watch = actions[1];
    assert.equal(watch?.type, "watch");
    if (watch?.type !== "watch") return;
    assert.equal(watch.resourceVersion, "42");
    assert.equal(watch.allowWatchBookmarks, true);
    assert.equal(watch.inactivityTimeoutMs, 150_000);
    assert.equal(watch.timeoutSeconds, 450);
  });

  it("picks timeoutSeconds within 5-10 minutes", () => {
    const pick = (r: number) => {
      const a = step(watching("1"), { type: "watchClosed", durationMs: 300_000, events: 3 }, ctx(0, r)).actions.find(
        (x) => x.type === "watch",
      );
      return a?.type === "watch" ? a.timeoutSeconds : -1;
    };
    assert.equal(pick(0), 300);
    assert.equal(pick(0.999999), 600);
  });

  it("applies events, tracks their resourceVersion, and swallows bookmarks", () => {
    let s = watching("10");
    let r = step(s, { type: "watchEvent", event: event("ADDED", "11") }, ctx());
    assert.deepEqual(kinds(r.actions), ["applyEvent"]);
    s = r.state;
    r = step(s, { type: "watchEvent", event: event("BOOKMARK", "15") }, ctx());
    assert.deepEqual(r.actions, []);
    assert.equal(r.state.kind === "Watching" && r.state.resourceVersion, "15");
    r = step(r.state, { type: "watchEvent", event: event("DELETED", "16") }, ctx());
    assert.deepEqual(kinds(r.actions), ["applyEvent"]);
    assert.equal(r.state.kind === "Watching" && r.state.resourceVersion, "16");
  });

  it("an event ends a streak of errors but not the backoff count", () => {
    const r = step(watching("10", 3), { type: "watchEvent", event: event("BOOKMARK", "11") }, ctx());
    assert.equal(r.state.health.consecutiveErrors, 0);
    assert.equal(r.state.health.backoff.attempt, 3);
  });

  it("re-watches from the last version without relisting when the server closes the watch", () => {
    const r = step(watching("77"), { type: "watchClosed", durationMs: 300_000, events: 3 }, ctx());
    assert.equal(r.state.kind, "Watching");
    assert.deepEqual(kinds(r.actions), ["log", "watch"]);
    const w = r.actions[1];
    assert.equal(w?.type === "watch" && w.resourceVersion, "77");
  });

  it("re-opens an inactive watch at once", () => {
    const r = step(watching("77"), { type: "inactivityTimeout" }, ctx());
    assert.equal(r.state.kind, "Watching");
    assert.deepEqual(kinds(r.actions), ["log", "watch"]);
  });

  it("relists with an empty resourceVersion at once after 410 on the watch", () => {
    const r = step(watching("77"), { type: "watchError", error: gone }, ctx());
    assert.equal(r.state.kind, "Listing");
    assert.equal(r.state.kind === "Listing" && r.state.resourceVersion, "");
    assert.deepEqual(r.actions.at(-1), { type: "list", resourceVersion: "", limit: 500 });
    assert.equal(r.state.health.consecutiveErrors, 1);
  });

  it("backs off before relisting when 410 follows another failure", () => {
    const r = step(watching("77", 1), { type: "watchError", error: gone }, ctx());
    assert.equal(r.state.kind, "Backoff");
    if (r.state.kind !== "Backoff") return;
    assert.deepEqual(r.state.then, { kind: "Listing", resourceVersion: "" });
    assert.deepEqual(kinds(r.actions), ["log", "sleep"]);
  });

  it("backs off on other watch errors, then watches again from the same version", () => {
    const now = 5_000_000;
    const r = step(watching("77"), { type: "watchError", error: forbidden }, ctx(now));
    assert.deepEqual(r.state, {
      kind: "Backoff",
      delayMs: 800,
      until: now + 800,
      // biome-ignore lint/suspicious/noThenProperty: the state machine's field, compared as data
      then: { kind: "Watching", resourceVersion: "77" },
      health: { backoff: { attempt: 1, lastFailureAt: now }, consecutiveErrors: 1 },
    });
    assert.deepEqual(r.actions.at(-1), { type: "sleep", ms: 800 });
    const after = step(r.state, { type: "backoffElapsed" }, ctx(now + 800));
    assert.equal(after.state.kind, "Watching");
    assert.equal(after.actions[0]?.type === "watch" && after.actions[0].resourceVersion, "77");
  });

  it("after an interruption (backoffElapsed with relist) lists from etcd instead of resuming the watch", () => {
    const now = 5_000_000;
    const network = { gone: false, message: "read ECONNRESET" };
    const r = step(watching("77"), { type: "watchError", error: network }, ctx(now));
    const after = step(r.state, { type: "backoffElapsed", relist: true }, ctx(now + 800));
    assert.equal(after.state.kind, "Listing");
    assert.equal(after.state.kind === "Listing" && after.state.resourceVersion, "");
    assert.deepEqual(after.state.health, r.state.health, "the failure streak stays until the list succeeds");
    assert.deepEqual(after.actions.at(-1), { type: "list", resourceVersion: "", limit: 500 });
    // The list succeeds: the store is replaced and the watch resumes from the list's version.
    const listed = step(after.state, { type: "listDone", resourceVersion: "90" }, ctx(now + 900));
    assert.deepEqual(kinds(listed.actions), ["replaceStore", "watch"]);
    assert.equal(listed.state.kind === "Watching" && listed.state.resourceVersion, "90");
    // A backoff before a list is a list either way.
    const listing = step(initialStep(ctx()).state, { type: "listError", error: network }, ctx(now));
    const relisted = step(listing.state, { type: "backoffElapsed", relist: true }, ctx(now + 800));
    assert.deepEqual(relisted.actions, [{ type: "list", resourceVersion: "0", limit: 500 }]);
  });

  it("doubles the delay per consecutive failure up to 30 s and starts over after 2 quiet minutes", () => {
    let state: WatchState = initialStep(ctx()).state;
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 8; i++) {
      const r = step(state, { type: "listError", error: forbidden }, ctx(now));
      if (r.state.kind !== "Backoff") throw new Error("expected backoff");
      delays.push(r.state.delayMs);
      now += r.state.delayMs;
      state = step(r.state, { type: "backoffElapsed" }, ctx(now)).state;
      assert.equal(state.kind, "Listing");
    }
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    const later = step(state, { type: "listError", error: forbidden }, ctx(now + 120_000));
    assert.equal(later.state.kind === "Backoff" && later.state.delayMs, 800);
  });

  it("honours Retry-After when longer than the backoff", () => {
    const r = step(
      watching("1"),
      { type: "watchError", error: { gone: false, message: "slow down", statusCode: 429, retryAfterMs: 5000 } },
      ctx(),
    );
    assert.equal(r.state.kind === "Backoff" && r.state.delayMs, 5000);
  });

  it("retries a failed list with the same resourceVersion from its first page", () => {
    const listing: WatchState = { kind: "Listing", resourceVersion: "", continue: "tok", health: HEALTHY };
    const r = step(listing, { type: "listError", error: forbidden }, ctx());
    assert.equal(r.state.kind, "Backoff");
    const after = step(r.state, { type: "backoffElapsed" }, ctx());
    assert.deepEqual(after.actions, [{ type: "list", resourceVersion: "", limit: 500 }]);
  });

  it("treats a watch that closes within a second with no event as a failure and backs off (client-go: very short watch)", () => {
    const s = watching("77");
    const r = step(s, { type: "watchClosed", durationMs: 20, events: 0 }, ctx());
    assert.equal(r.state.kind, "Backoff");
    if (r.state.kind !== "Backoff") return;
    assert.deepEqual(r.state.then, { kind: "Watching", resourceVersion: "77" });
    assert.equal(r.state.health.consecutiveErrors, 1);
    assert.deepEqual(kinds(r.actions), ["reportFailure", "log", "sleep"]);
    const report = r.actions[0];
    assert.match(report?.type === "reportFailure" ? report.error.message : "", /very short watch/);
    // A second one in a row waits longer, and the streak keeps counting.
    const again = step(step(r.state, { type: "backoffElapsed" }, ctx()).state, { type: "watchClosed", durationMs: 5, events: 0 }, ctx());
    assert.equal(again.state.kind === "Backoff" && again.state.delayMs, 1600);
    assert.equal(again.state.health.consecutiveErrors, 2);
  });

  it("a short watch that delivered an event (or a long empty one) is a normal close", () => {
    for (const input of [
      { type: "watchClosed", durationMs: 20, events: 1 },
      { type: "watchClosed", durationMs: 5_000, events: 0 },
    ] as const) {
      const r = step(watching("77", 2), input, ctx());
      assert.equal(r.state.kind, "Watching");
      assert.deepEqual(kinds(r.actions), ["log", "watch"]);
    }
  });

  it("a successful list ends the streak of errors (readiness turns green at once)", () => {
    let state: WatchState = initialStep(ctx()).state;
    for (let i = 0; i < 4; i++) {
      state = step(state, { type: "listError", error: forbidden }, ctx()).state;
      state = step(state, { type: "backoffElapsed" }, ctx()).state;
    }
    assert.equal(state.health.consecutiveErrors, 4);
    const r = step(state, { type: "listDone", resourceVersion: "9" }, ctx());
    assert.equal(r.state.kind, "Watching");
    assert.equal(r.state.health.consecutiveErrors, 0);
    assert.equal(r.state.health.backoff.attempt, 4, "the backoff keeps counting until 2 quiet minutes");
  });

  it("after a relist, a 410 on the fresh watch before any event backs off (no list/410 loop)", () => {
    let r = step(watching("77"), { type: "watchError", error: gone }, ctx());
    assert.equal(r.state.kind, "Listing");
    r = step(r.state, { type: "listDone", resourceVersion: "80" }, ctx());
    assert.equal(r.state.health.consecutiveErrors, 0);
    r = step(r.state, { type: "watchError", error: gone }, ctx());
    assert.equal(r.state.kind, "Backoff");
    if (r.state.kind !== "Backoff") return;
    assert.deepEqual(r.state.then, { kind: "Listing", resourceVersion: "" });
    // An event in between proves the relisted watch healthy: the next 410 relists at once again.
    let w = step(watching("77"), { type: "watchError", error: gone }, ctx());
    w = step(w.state, { type: "listDone", resourceVersion: "80" }, ctx());
    w = step(w.state, { type: "watchEvent", event: event("BOOKMARK", "90") }, ctx());
    w = step(w.state, { type: "watchError", error: gone }, ctx());
    assert.equal(w.state.kind, "Listing");
  });

  it("an expired continue token falls back to one full list: no resourceVersion, no limit (client-go's pager)", () => {
    const listing: WatchState = { kind: "Listing", resourceVersion: "0", continue: "tok", health: HEALTHY };
    const r = step(listing, { type: "listError", error: gone }, ctx());
    assert.equal(r.state.kind, "Listing");
    assert.deepEqual(r.actions.at(-1), { type: "list", resourceVersion: "" });
    // Its answer comes in one piece; the loop then watches from it.
    const done = step(r.state, { type: "listDone", resourceVersion: "50" }, ctx());
    assert.equal(done.state.kind, "Watching");
    // A failed full list backs off and then lists in pages again.
    const failed = step(r.state, { type: "listError", error: forbidden }, ctx());
    const after = step(failed.state, { type: "backoffElapsed" }, ctx());
    assert.deepEqual(after.actions, [{ type: "list", resourceVersion: "", limit: 500 }]);
  });

  it("ignores inputs that do not belong to the state", () => {
    const w = watching("5");
    assert.deepEqual(step(w, { type: "listDone", resourceVersion: "9" }, ctx()), { state: w, actions: [] });
    assert.deepEqual(step(w, { type: "backoffElapsed" }, ctx()), { state: w, actions: [] });
    const l = initialStep(ctx()).state;
    assert.deepEqual(step(l, { type: "watchClosed", durationMs: 300_000, events: 3 }, ctx()), { state: l, actions: [] });
  });

  it("stops from any state, for good", () => {
    for (const s of [watching("1"), initialStep(ctx()).state]) {
      const r = step(s, { type: "stop" }, ctx());
      assert.equal(r.state.kind, "Stopped");
      assert.deepEqual(step(r.state, { type: "listDone", resourceVersion: "3" }, ctx()).actions, []);
    }
  });

  it("classifies failures: status codes, Gone, Retry-After, plain errors", () => {
    assert.deepEqual(classifyFailure({ statusCode: 410, message: "expired" }), { gone: true, message: "expired", statusCode: 410 });
    assert.deepEqual(classifyFailure({ statusCode: 429, message: "m", retryAfterSeconds: 2 }), {
      gone: false,
      message: "m",
      statusCode: 429,
      retryAfterMs: 2000,
    });
    assert.deepEqual(classifyFailure(new Error("ECONNRESET")), { gone: false, message: "ECONNRESET" });
    assert.deepEqual(classifyFailure("weird"), { gone: false, message: "weird" });
    const status = { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 1 (5)" };
    assert.equal(failureFromErrorEvent(status).gone, true);
  });
});
