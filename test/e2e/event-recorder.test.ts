import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeObject } from "../../src/core/kube-object.js";
import { EVENT_RESOURCE, EventRecorder } from "../../src/manager/event-recorder.js";
import { configMaps, namespaces } from "./support/core-types.js";
import { withControlPlane } from "./support/control-plane.js";

describe("EventRecorder on a real API server", { timeout: 120_000 }, () => {
  const namespace = "events-e2e";
  const plane = withControlPlane({ setUp: ({ client }) => client.create(namespaces, { metadata: { name: namespace } }) });

  /** A fresh involved object (a real ConfigMap, so it has a uid and resourceVersion). */
  async function parent(name: string): Promise<KubeObject> {
    return plane.client.create(configMaps, { metadata: { name, namespace }, data: { a: "b" } });
  }

  /** The Events whose involvedObject is `obj`, from the API server. */
  async function eventsOf(obj: KubeObject): Promise<KubeObject[]> {
    const { items } = await plane.client.list(EVENT_RESOURCE, { namespace, fieldSelector: `involvedObject.uid=${obj.metadata!.uid}` });
    return items;
  }

  it("writes an Event with the right involvedObject, source and reporting fields", async () => {
    const cm = await parent("first");
    const recorder = new EventRecorder({ client: plane.client, component: "echo-server", instance: "pod-a" });
    recorder.normal(cm, "Synced", "children created");
    await recorder.flush();
    const [event, ...rest] = await eventsOf(cm);
    assert.equal(rest.length, 0);
    assert.ok(event);
    const e = event as any;
    assert.deepEqual(e.involvedObject, {
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace,
      name: "first",
      uid: cm.metadata!.uid,
      resourceVersion: cm.metadata!.resourceVersion,
    });
    assert.equal(e.type, "Normal");
    assert.equal(e.reason, "Synced");
    assert.equal(e.message, "children created");
    assert.equal(e.count, 1);
    assert.deepEqual(e.source, { component: "echo-server", host: "pod-a" });
    assert.equal(e.reportingComponent, "echo-server");
    assert.equal(e.reportingInstance, "pod-a");
    assert.match(e.metadata.name, /^first\.[0-9a-f]+$/);
  });

  it("aggregates 5 identical warnings into one Event with count 5", async () => {
    const cm = await parent("hot");
    const recorder = new EventRecorder({ client: plane.client, component: "echo-server" });
    // Two at once (coalesced while the create is in flight), then three one after another (patches).
    recorder.warning(cm, "SyncFailed", "handler threw: boom");
    recorder.warning(cm, "SyncFailed", "handler threw: boom");
    await recorder.flush();
    for (let i = 0; i < 3; i++) {
      await sleep(5);
      recorder.warning(cm, "SyncFailed", "handler threw: boom");
      await recorder.flush();
    }
    recorder.warning(cm, "SyncFailed", "a different message");
    await recorder.flush();
    const events = (await eventsOf(cm)) as any[];
    const boom = events.filter((e) => e.message === "handler threw: boom");
    assert.equal(boom.length, 1, `one aggregated Event, got ${boom.length}`);
    assert.equal(boom[0].count, 5);
    assert.equal(boom[0].type, "Warning");
    assert.ok(Date.parse(boom[0].lastTimestamp) >= Date.parse(boom[0].firstTimestamp));
    assert.equal(events.filter((e) => e.message === "a different message").length, 1);
  });

  it("caps a burst of distinct events per object with the rate limit", async () => {
    const cm = await parent("flood");
    const other = await parent("quiet");
    const recorder = new EventRecorder({ client: plane.client, component: "echo-server", burst: 5 });
    for (let i = 0; i < 40; i++) recorder.warning(cm, "SyncFailed", `attempt ${i}`);
    recorder.normal(other, "Synced", "the limit is per object");
    await recorder.flush();
    const flood = (await eventsOf(cm)) as any[];
    assert.equal(flood.length, 5);
    assert.deepEqual(flood.map((e) => e.message).sort(), ["attempt 0", "attempt 1", "attempt 2", "attempt 3", "attempt 4"]);
    assert.equal((await eventsOf(other)).length, 1);
  });

  it("truncates long messages to 1 KiB and never throws on a failing write", async () => {
    const cm = await parent("long");
    const recorder = new EventRecorder({ client: plane.client, component: "echo-server" });
    recorder.warning(cm, "Long", "é".repeat(2000));
    // An object in a namespace that does not exist: the create fails; recording must not throw.
    recorder.warning(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "no-such-ns", uid: "u-1" } },
      "Lost",
      "nowhere",
    );
    await recorder.flush();
    const [event] = (await eventsOf(cm)) as any[];
    assert.ok(Buffer.byteLength(event.message, "utf8") <= 1024);
    assert.ok(event.message.endsWith("..."));
  });
});
