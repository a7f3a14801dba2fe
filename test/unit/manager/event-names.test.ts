/** Event names stay unique across the recorders of one process (one per operator, plus the injectable one). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventRecorder, type EventClient } from "../../../src/manager/event-recorder.js";
import type { KubeObject } from "../../../src/core/kube-object.js";

test("two recorders naming Events of one object in the same millisecond never pick the same name", async () => {
  const names: string[] = [];
  const client: EventClient = {
    create: async (_type, obj) => {
      names.push(String(obj.metadata?.name));
      return obj as never;
    },
    patch: async () => ({}) as never,
  };
  const a = new EventRecorder({ client, component: "one" });
  const b = new EventRecorder({ client, component: "two" });
  const parent: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p", namespace: "ns", uid: "u1" } };
  for (let i = 0; i < 10; i++) {
    a.normal(parent, `A${i}`, "from a");
    b.normal(parent, `B${i}`, "from b");
  }
  await Promise.all([a.flush(), b.flush()]);
  assert.equal(names.length, 20);
  assert.equal(new Set(names).size, 20, `duplicate names: ${names.join(" ")}`);
});
