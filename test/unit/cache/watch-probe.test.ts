/** The watch probe's decisions in the pure state machine: when to probe, and what each outcome means. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { WatchEvent } from "../../../src/core/kube-object.js";
import {
  DEFAULT_WATCH_LOOP_OPTIONS,
  HEALTHY,
  probeDelayMs,
  silentTooLong,
  step,
  type StepContext,
  type WatchState,
} from "../../../src/cache/watch-state.js";

const ctx = (): StepContext => ({ now: 1_000_000, random: () => 0.5, options: DEFAULT_WATCH_LOOP_OPTIONS });
const watching = (rv: string, extra: Partial<Extract<WatchState, { kind: "Watching" }>> = {}): WatchState => ({
  kind: "Watching",
  resourceVersion: rv,
  health: HEALTHY,
  ...extra,
});
const event = (type: WatchEvent["type"], rv: string): WatchEvent => ({
  type,
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "d", resourceVersion: rv } },
});
const probing = (rv: string): WatchState => step(watching(rv), { type: "probeDue" }, ctx()).state;

describe("watch probe", () => {
  it("probes a silent watch after 20 s by default (5 s while stale; never when off or not watching)", () => {
    const options = DEFAULT_WATCH_LOOP_OPTIONS;
    assert.equal(probeDelayMs(watching("5"), options), 20_000, "under the 30 s target, well before the ~60 s bookmark");
    assert.equal(probeDelayMs(watching("5", { health: { ...HEALTHY, stale: true } }), options), 5_000);
    assert.equal(probeDelayMs(watching("5"), { ...options, probeAfterMs: 0 }), 0);
    assert.equal(probeDelayMs({ kind: "Listing", resourceVersion: "0", health: HEALTHY }, options), 0);
  });

  it("sends one short watch from the last resourceVersion, with bookmarks, a 1 s server timeout and a 5 s deadline", () => {
    const r = step(watching("42"), { type: "probeDue" }, ctx());
    assert.deepEqual(r.actions, [
      { type: "probe", resourceVersion: "42", timeoutSeconds: 1, allowWatchBookmarks: true, deadlineMs: 5_000 },
    ]);
    assert.equal(r.state.kind === "Watching" && r.state.probing, true);
    assert.deepEqual(step(r.state, { type: "probeDue" }, ctx()).actions, [], "at most one probe at a time");
  });

  it("a quiet probe ends staleness and the error streak (a successful request), not the backoff count", () => {
    const failing = watching("42", {
      probing: true,
      health: { backoff: { attempt: 3, lastFailureAt: 0 }, consecutiveErrors: 3, stale: true },
    });
    const r = step(failing, { type: "probeResult", outcome: { kind: "quiet" } }, ctx());
    assert.deepEqual(r.state.health, { backoff: { attempt: 3, lastFailureAt: 0 }, consecutiveErrors: 0 });
  });

  it("silence longer than a probe cycle (20 s + 5 s + 2 s) reads stale; never with probes off", () => {
    const options = DEFAULT_WATCH_LOOP_OPTIONS;
    assert.equal(silentTooLong(26_000, options), false, "a probe answered at 20-25 s keeps a quiet informer fresh");
    assert.equal(silentTooLong(27_001, options), true, "red within 30 s even when no probe can start");
    assert.equal(silentTooLong(600_000, { ...options, probeAfterMs: 0 }), false);
  });

  it("a quiet probe: the watch is fine, nothing to do", () => {
    const r = step(probing("42"), { type: "probeResult", outcome: { kind: "quiet" } }, ctx());
    assert.deepEqual(r.actions, []);
    assert.deepEqual(r.state, watching("42"));
  });

  it("a probe that saw a change the watch did not deliver: stale, abandon the watch", () => {
    const r = step(probing("42"), { type: "probeResult", outcome: { kind: "events", newestResourceVersion: "57" } }, ctx());
    assert.deepEqual(
      r.actions.map((a) => a.type),
      ["log", "abandonWatch"],
    );
    assert.equal(r.state.health.stale, true);
  });

  it("a change the watch delivered while the probe ran is not a miss", () => {
    let state = probing("42");
    state = step(state, { type: "watchEvent", event: event("MODIFIED", "57") }, ctx()).state;
    const r = step(state, { type: "probeResult", outcome: { kind: "events", newestResourceVersion: "57" } }, ctx());
    assert.deepEqual(r.actions, []);
    assert.equal(r.state.health.stale, undefined);
  });

  it("versions that cannot be ordered count as a miss (re-opening is cheap, missing a change is not)", () => {
    const r = step(probing("42"), { type: "probeResult", outcome: { kind: "events", newestResourceVersion: "abc" } }, ctx());
    assert.deepEqual(
      r.actions.map((a) => a.type),
      ["log", "abandonWatch"],
    );
  });

  it("a failed probe (error, 410, no answer): the path is broken, stale, abandon the watch", () => {
    for (const error of [
      { gone: false, message: "no answer within 5000 ms" },
      { gone: true, message: "too old", statusCode: 410 },
    ]) {
      const r = step(probing("42"), { type: "probeResult", outcome: { kind: "failed", error } }, ctx());
      assert.deepEqual(
        r.actions.map((a) => a.type),
        ["log", "abandonWatch"],
      );
      assert.equal(r.state.health.stale, true);
      assert.equal(r.state.health.consecutiveErrors, 0, "a probe is no failed request of the loop: no backoff");
    }
  });

  it("an abandoned watch is re-opened at once from its resourceVersion, still stale until a sign of life", () => {
    const stale = step(
      probing("42"),
      { type: "probeResult", outcome: { kind: "failed", error: { gone: false, message: "x" } } },
      ctx(),
    ).state;
    const r = step(stale, { type: "watchAbandoned" }, ctx());
    const watch = r.actions.at(-1);
    assert.equal(watch?.type, "watch");
    assert.equal(watch?.type === "watch" && watch.resourceVersion, "42");
    assert.equal(r.state.health.stale, true);
    assert.equal(r.state.kind === "Watching" && r.state.probing, undefined);
    assert.equal(probeDelayMs(r.state, DEFAULT_WATCH_LOOP_OPTIONS), 5_000, "probes come faster while stale");
  });

  it("staleness ends with an event, a bookmark, a quiet probe or a list; it survives a backoff", () => {
    const stale = watching("42", { health: { ...HEALTHY, stale: true } });
    assert.equal(step(stale, { type: "watchEvent", event: event("BOOKMARK", "50") }, ctx()).state.health.stale, undefined);
    assert.equal(step(stale, { type: "watchEvent", event: event("ADDED", "50") }, ctx()).state.health.stale, undefined);
    const probed = step({ ...stale, probing: true } as WatchState, { type: "probeResult", outcome: { kind: "quiet" } }, ctx());
    assert.equal(probed.state.health.stale, undefined);
    const failed = step(stale, { type: "watchError", error: { gone: false, message: "reset" } }, ctx()).state;
    assert.equal(failed.kind, "Backoff");
    assert.equal(failed.health.stale, true);
    const relisted = step(
      { kind: "Listing", resourceVersion: "", health: failed.health },
      { type: "listDone", resourceVersion: "60" },
      ctx(),
    );
    assert.equal(relisted.state.health.stale, undefined);
  });

  it("a probe of a watch that was replaced meanwhile does not block the next one", () => {
    const closed = step(probing("42"), { type: "watchClosed", durationMs: 300_000, events: 3 }, ctx()).state;
    assert.deepEqual(
      step(closed, { type: "probeDue" }, ctx()).actions.map((a) => a.type),
      ["probe"],
    );
    const inactive = step(probing("42"), { type: "inactivityTimeout" }, ctx()).state;
    assert.deepEqual(
      step(inactive, { type: "probeDue" }, ctx()).actions.map((a) => a.type),
      ["probe"],
    );
  });

  it("probe inputs outside Watching change nothing", () => {
    const backoff = step(watching("42"), { type: "watchError", error: { gone: false, message: "x" } }, ctx()).state;
    assert.deepEqual(step(backoff, { type: "probeDue" }, ctx()), { state: backoff, actions: [] });
    assert.deepEqual(step(backoff, { type: "probeResult", outcome: { kind: "quiet" } }, ctx()), { state: backoff, actions: [] });
  });
});
