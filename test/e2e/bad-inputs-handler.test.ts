/**
 * Bad input, the handler's (issue 11): every way a sync or finalize handler can answer wrongly,
 * and every value of its answer the API server refuses. One control plane, one operator; each
 * case in its own namespace with a healthy "bystander" parent. Per case:
 * - the bad input is reported: a Warning Event on the parent with a clear reason and message,
 *   an error log line with the parent key (and, over the file, the metrics);
 * - nothing is lost: the parent's existing children keep their resourceVersion (unless the case
 *   says which may change) and nothing stray is written;
 * - no false success: `status.observedGeneration` does not claim the generation that failed;
 * - no stall: the bystander of the same operator converges on a spec change made afterwards;
 * - no crash: the runtime runs on, with no unhandled rejection.
 * The cases run concurrently: each one's bystander also proves the other cases do not stall it.
 * The table in docs/reliability.md ("Bad input") lists what a user sees for each.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap, V1Job, V1Service } from "@kubernetes/client-node";
import {
  ChildConfig,
  FinalizeResponse,
  OperatorConfig,
  SyncResponse,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { E2E_API_VERSION, FREE_FORM, testCrd } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

const KIND = "BadIn";
const OPERATOR = "badin";
const TIMEOUT_MS = 1_000;
const MB = 1024 * 1024;

/** Free-form spec and status, except `status.count`, which must be an integer (a status the server refuses). */
function crdOf(kind: string): KubeObject {
  return testCrd(kind, { status: { ...FREE_FORM, properties: { count: { type: "integer" } } } });
}

/** The kind of the operator whose handler is a [sync, onError] pair (roperator's error handler). */
const PAIR_KIND = "BadPair";
const PAIR_OPERATOR = "badpair";

interface Spec {
  mode?: string;
  message?: string;
  /** Baseline extras: a headless Service (Apply) and/or a Job (Replace) besides the ConfigMap. */
  service?: boolean;
  job?: boolean;
}

function configMap(name: string, message: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-cm` }, data: { message }, ...extra };
}

function service(name: string, clusterIP = "None"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `${name}-svc` },
    spec: { clusterIP, selector: { app: name }, ports: [{ port: 80 }] },
  };
}

function job(name: string, image: string): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `${name}-job` },
    spec: {
      template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image }] } },
    },
  };
}

/** What the handler answers for each `spec.mode`: "ok", or one bad input. */
async function respond(parent: KubeObject, existing: readonly KubeObject[] = []): Promise<unknown> {
  const name = parent.metadata!.name!;
  const spec = (parent.spec ?? {}) as Spec;
  const message = spec.message ?? "";
  const baseline = (): KubeObject[] => [
    configMap(name, message),
    ...(spec.service ? [service(name)] : []),
    ...(spec.job ? [job(name, "busybox:1")] : []),
  ];
  const ok = () => SyncResponse.of({ phase: "ok", message }).withChildren(...baseline());
  const cyclic: Record<string, unknown> = { phase: "cyclic" };
  cyclic.self = cyclic;
  switch (spec.mode ?? "ok") {
    case "ok":
      return ok();
    // Throws of non-Errors.
    case "throw-string":
      throw "the database is down";
    case "throw-number":
      throw 42;
    case "throw-undefined":
      throw undefined;
    case "throw-null":
      throw null;
    case "throw-object":
      throw { code: "E_DB", detail: "the database is down" };
    case "reject-string":
      return Promise.reject("rejected with a string");
    // Answers that are not a response.
    case "return-null":
      return null;
    case "return-undefined":
      return undefined;
    case "return-object":
      return { phase: "ok", childs: [] }; // a misspelt key: must not pass as "no children"
    case "status-not-object":
      return SyncResponse.of("ready");
    // Invalid children.
    case "undeclared-kind":
      return ok().withChild({ apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-secret` } });
    case "no-name":
      return ok().withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: {}, data: {} });
    case "wrong-namespace":
      return SyncResponse.of({ phase: "ok" }).withChild(
        configMap(name, message, { metadata: { name: `${name}-cm`, namespace: "default" } }),
      );
    case "duplicate":
      return ok().withChild(configMap(name, "again"));
    case "own-owner-reference":
      return SyncResponse.of({ phase: "ok" }).withChild(
        configMap(name, message, {
          metadata: {
            name: `${name}-cm`,
            ownerReferences: [
              { apiVersion: "v1", kind: "ConfigMap", name: "someone-else", uid: "00000000-0000-0000-0000-000000000001", controller: true },
            ],
          },
        }),
      );
    // Values that cannot be JSON.
    case "cyclic-child":
      return ok().withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-cyclic` }, data: cyclic });
    case "cyclic-status":
      return SyncResponse.of(cyclic).withChildren(...baseline());
    case "bigint-status":
      return SyncResponse.of({ phase: "ok", big: 10n }).withChildren(...baseline());
    case "bigint-child":
      return ok().withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-big` }, data: { n: 10n } });
    // Values the API server refuses.
    case "invalid-label":
      return ok().withChild({ ...configMap(name, message), metadata: { name: `${name}-labelled`, labels: { tier: "not valid!" } } });
    case "invalid-name":
      return ok().withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-Not_Valid` }, data: {} });
    case "bad-field-type":
      return ok().withChild({ ...service(name), spec: { ...(service(name).spec as object), ports: [{ port: "eighty" }] } });
    case "immutable-apply":
      return SyncResponse.of({ phase: "ok" }).withChildren(configMap(name, message), service(name, "10.0.77.77"));
    case "immutable-configmap":
      return ok().withChild({ ...configMap(name, "v2"), metadata: { name: `${name}-frozen` }, immutable: true });
    case "immutable-replace":
      return SyncResponse.of({ phase: "ok" }).withChildren(configMap(name, message), job(name, "busybox:2"));
    case "child-1mb":
      return ok().withChild({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${name}-big` },
        data: { blob: "x".repeat(MB + 10) },
      });
    case "child-4mb":
      return ok().withChild({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${name}-huge` },
        data: { blob: "x".repeat(4 * MB) },
      });
    case "status-refused":
      return SyncResponse.of({ phase: "ok", count: "many" }).withChildren(...baseline());
    case "mutate-snapshot": {
      // Edits the cached child in place (the docs say not to) and returns it.
      const cm = existing.find((c) => c.kind === "ConfigMap" && c.metadata?.name === `${name}-cm`) as KubeObject | undefined;
      if (!cm) return ok();
      (cm.data as Record<string, string>).message = message;
      return SyncResponse.of({ phase: "ok", message }).withChild(cm);
    }
    case "self-claimed":
      // Sets observedGeneration itself (a common habit) while one of its children is refused.
      return SyncResponse.of({ phase: "ok", message, observedGeneration: parent.metadata?.generation }).withChildren(
        configMap(name, message),
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-Not_Valid` }, data: {} },
      );
    case "function-status":
      return SyncResponse.of({ phase: "ok", message, describe: () => "a method" }).withChildren(...baseline());
    // Time.
    case "slow":
      await sleep(800);
      return ok();
    case "hang":
      return new Promise((resolve) => setTimeout(() => resolve(ok()), 2 * TIMEOUT_MS));
    default:
      throw new Error(`unknown mode ${spec.mode}`);
  }
}

const operator: OperatorDefinition = {
  config: new OperatorConfig(OPERATOR, { apiVersion: E2E_API_VERSION, kind: KIND })
    .withChild(V1ConfigMap)
    .withChild(V1Service)
    .withChild(V1Job, ChildConfig.replace())
    .withHandlerTimeout(TIMEOUT_MS)
    .withBackoff({ initialDelayMs: 200, multiplier: 2, jitter: 0, maxDelayMs: 2_000 }),
  handler: {
    sync: (req: SyncRequest<KubeObject>) => respond(req.raw, req.children.raw()) as Promise<SyncResponse>,
    finalize: (req: SyncRequest<KubeObject>) => {
      if ((req.raw.spec as Spec | undefined)?.mode === "finalize-throws") throw new Error("cannot release the database");
      return FinalizeResponse.done();
    },
  },
};

/** An error handler that fails itself: the failure it answered must not vanish from the report. */
const pairOperator: OperatorDefinition = {
  config: new OperatorConfig(PAIR_OPERATOR, { apiVersion: E2E_API_VERSION, kind: PAIR_KIND })
    .withChild(V1ConfigMap)
    .withBackoff({ initialDelayMs: 200, multiplier: 2, jitter: 0, maxDelayMs: 2_000 }),
  handler: [
    (req: SyncRequest<KubeObject>) => {
      const spec = (req.raw.spec ?? {}) as Spec;
      if (spec.mode?.startsWith("onerror-")) throw new Error("the database is down");
      return respond(req.raw) as Promise<SyncResponse>;
    },
    (req: SyncRequest<KubeObject>) => {
      const mode = (req.raw.spec as Spec | undefined)?.mode;
      if (mode === "onerror-throws") throw new Error("the error page is down too");
      return { status: { phase: "failed" }, resyncAfter: -1 }; // onerror-invalid
    },
  ],
};

/** One bad input: how it is given, and what the user must see. */
interface BadInputCase {
  mode: string;
  /** The Event reason on the parent. */
  reason: string;
  /** Its message (also the log line's). */
  message: RegExp;
  /** Extra baseline children the parent starts with. */
  baseline?: Pick<Spec, "service" | "job">;
  /** The parent kind (default BadIn; BadPair for the operator with an error handler). */
  kind?: string;
  /** "delete": the bad input shows when the parent is deleted (finalize). */
  trigger?: "patch" | "delete";
}

const cases: BadInputCase[] = [
  { mode: "throw-string", reason: "SyncFailed", message: /threw a string.*"the database is down"/ },
  { mode: "throw-number", reason: "SyncFailed", message: /threw a number.*42/ },
  { mode: "throw-undefined", reason: "SyncFailed", message: /threw undefined/ },
  { mode: "throw-null", reason: "SyncFailed", message: /threw null/ },
  { mode: "throw-object", reason: "SyncFailed", message: /threw an object.*"code":"E_DB".*"detail":"the database is down"/ },
  { mode: "reject-string", reason: "SyncFailed", message: /threw a string.*"rejected with a string"/ },
  { mode: "return-null", reason: "InvalidResponse", message: /must return a SyncResponse.*got null/ },
  { mode: "return-undefined", reason: "InvalidResponse", message: /must return a SyncResponse.*got undefined/ },
  { mode: "return-object", reason: "InvalidResponse", message: /unexpected keys phase, childs/ },
  { mode: "status-not-object", reason: "InvalidResponse", message: /a status must be an object/ },
  { mode: "undeclared-kind", reason: "InvalidChild", message: /v1 Secret is not a child type/ },
  { mode: "no-name", reason: "InvalidChild", message: /has no metadata\.name/ },
  { mode: "wrong-namespace", reason: "InvalidChild", message: /namespace "default"/ },
  { mode: "duplicate", reason: "InvalidChild", message: /duplicates child #0/ },
  { mode: "own-owner-reference", reason: "InvalidChild", message: /controller ownerReference/ },
  { mode: "cyclic-child", reason: "InvalidChild", message: /data\.self.*(cycle|circular)/ },
  { mode: "cyclic-status", reason: "InvalidResponse", message: /status\.self.*(cycle|circular)/ },
  { mode: "bigint-status", reason: "InvalidResponse", message: /status\.big is a BigInt/ },
  { mode: "bigint-child", reason: "InvalidChild", message: /data\.n is a BigInt/ },
  { mode: "invalid-label", reason: "ChildWriteFailed", message: /ConfigMap .*-labelled.*metadata\.labels.*not valid!/ },
  { mode: "invalid-name", reason: "ChildWriteFailed", message: /ConfigMap .*Not_Valid.*(Invalid|invalid)/ },
  { mode: "bad-field-type", reason: "ChildWriteFailed", message: /Service .*-svc.*(port|eighty)/ },
  {
    mode: "immutable-apply",
    reason: "ChildWriteFailed",
    message: /Service .*-svc.*(immutable|may not change)/,
    baseline: { service: true },
  },
  { mode: "immutable-replace", reason: "ChildWriteFailed", message: /Job .*-job.*immutable/, baseline: { job: true } },
  { mode: "child-1mb", reason: "ChildWriteFailed", message: /ConfigMap .*-big.*(1048576|too long|Too long)/ },
  { mode: "child-4mb", reason: "ChildWriteFailed", message: /ConfigMap .*-huge.*(413|too large)/ },
  { mode: "status-refused", reason: "StatusWriteFailed", message: /status\.count.*(integer|numeric)/ },
  { mode: "hang", reason: "HandlerTimeout", message: new RegExp(`within ${TIMEOUT_MS} ms`) },
  { mode: "finalize-throws", reason: "FinalizeFailed", message: /cannot release the database/, trigger: "delete" },
  {
    mode: "onerror-throws",
    kind: PAIR_KIND,
    reason: "SyncFailed",
    message: /error handler failed: the error page is down too; the failure it was answering: the database is down/,
  },
  {
    mode: "onerror-invalid",
    kind: PAIR_KIND,
    reason: "SyncFailed",
    message: /error handler failed: resyncAfter must be .* got -1; the failure it was answering: the database is down/,
  },
];

/** Children a converged baseline parent has: [apiVersion, kind, name]. */
function baselineChildren(name: string, c: BadInputCase): [string, string, string][] {
  return [
    ["v1", "ConfigMap", `${name}-cm`],
    ...(c.baseline?.service ? [["v1", "Service", `${name}-svc`] as [string, string, string]] : []),
    ...(c.baseline?.job ? [["batch/v1", "Job", `${name}-job`] as [string, string, string]] : []),
  ];
}

describe("bad input from the handler: reported, nothing lost, no false success, no stall, no crash", { timeout: 150_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    cp = await LocalControlPlane.start();
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: [crdOf(KIND), crdOf(PAIR_KIND)],
      operators: [operator, pairOperator],
      logger: logs.logger,
      allNamespaces: true,
    });
  });

  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await kit?.close();
    await cp?.stop();
  });

  async function converged(ns: string, name: string, message: string, kind = KIND): Promise<KubeObject> {
    return kit.eventually(
      async () => {
        const parent = await kit.get(E2E_API_VERSION, kind, name, ns);
        const status = parent?.status as { observedGeneration?: number; message?: string } | undefined;
        assert.equal(status?.observedGeneration, parent?.metadata?.generation, `${ns}/${name} has not converged`);
        assert.equal(status?.message, message);
        const cm = await kit.get("v1", "ConfigMap", `${name}-cm`, ns);
        assert.equal((cm?.data as { message?: string } | undefined)?.message, message);
        return parent!;
      },
      { timeout: 30_000 },
    );
  }

  describe("cases", { concurrency: true }, () => {
    for (const c of cases) {
      it(`${c.mode}: ${c.reason}, nothing lost, no false success, the bystander converges`, async (t) => {
        const ns = `bi-${c.mode}`;
        const kind = c.kind ?? KIND;
        const operatorName = kind === PAIR_KIND ? PAIR_OPERATOR : OPERATOR;
        await kit.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        const parent = (name: string, spec: Spec) => ({ apiVersion: E2E_API_VERSION, kind, metadata: { name, namespace: ns }, spec });
        await kit.createParent(parent("bystander", { message: "b1" }));
        await kit.createParent(parent("bad", { message: "v1", ...c.baseline }));
        await converged(ns, "bystander", "b1", kind);
        const before = await converged(ns, "bad", "v1", kind);
        const children = new Map<string, string | undefined>();
        for (const [apiVersion, kind, name] of baselineChildren("bad", c)) {
          children.set(`${kind}/${name}`, (await kit.eventuallyExists(apiVersion, kind, name, ns)).metadata?.resourceVersion);
        }

        // The bad input (a new generation; the message stays, so valid siblings have nothing to write).
        await kit.patch(E2E_API_VERSION, kind, "bad", { spec: { mode: c.mode } }, ns);
        if (c.trigger === "delete") await kit.delete(E2E_API_VERSION, kind, "bad", ns);

        // Reported: an Event with a clear message, an error log line with the parent key, failure counted.
        const event = await kit.eventually(
          async () => {
            const events = await kit.events("bad", ns);
            const found = events.find((e) => e.type === "Warning" && e.reason === c.reason);
            assert.ok(found, `no ${c.reason} Event: ${JSON.stringify(events.map((e) => [e.reason, e.message]))}`);
            return found;
          },
          { timeout: 15_000 },
        );
        assert.match(String(event.message), c.message);
        t.diagnostic(`${c.reason}: ${String(event.message).slice(0, 400)}`); // what the user sees (docs/reliability.md)
        assert.ok(
          logs.find({ operator: operatorName, parent: `${ns}/bad`, reason: c.reason, level: "error" }).length > 0,
          "no error log line",
        );
        await kit.eventually(() => assert.ok(kit.errorCount("bad", { namespace: ns, operator: operatorName }) >= 1, "not counted"));

        // No false success: the failed generation is not claimed.
        const now = await kit.get(E2E_API_VERSION, kind, "bad", ns);
        const observed = (now?.status as { observedGeneration?: number } | undefined)?.observedGeneration;
        assert.equal(observed, before.metadata?.generation, "the status claims the generation whose sync failed");

        // Nothing lost: the existing children are untouched (the finalizer keeps a deleting parent's).
        for (const [apiVersion, kind, name] of baselineChildren("bad", c)) {
          const child = await kit.get(apiVersion, kind, name, ns);
          assert.equal(child?.metadata?.resourceVersion, children.get(`${kind}/${name}`), `${kind} ${name} was touched`);
        }
        if (c.trigger === "delete") assert.ok(now?.metadata?.deletionTimestamp, "the parent went although finalize failed");

        // No stall: the bystander converges on a change made now, while the bad parent keeps failing.
        await kit.patch(E2E_API_VERSION, kind, "bystander", { spec: { message: "b2" } }, ns);
        await converged(ns, "bystander", "b2", kind);
        assert.equal(kit.errorCount("bystander", { namespace: ns, operator: operatorName }), 0);
        assert.equal(kit.runtime.inspect(operatorName).failure(), undefined, "the operator stopped");
      });
    }
  });

  async function namespaceWithBystander(ns: string): Promise<void> {
    await kit.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await kit.createParent({
      apiVersion: E2E_API_VERSION,
      kind: KIND,
      metadata: { name: "bystander", namespace: ns },
      spec: { message: "b1" },
    });
    await converged(ns, "bystander", "b1");
  }

  it("a function in the status is dropped as JSON.stringify drops it: written once, no rewrite on the next sync", async () => {
    const ns = "bi-function-status";
    await namespaceWithBystander(ns);
    await kit.createParent({
      apiVersion: E2E_API_VERSION,
      kind: KIND,
      metadata: { name: "fn", namespace: ns },
      spec: { mode: "function-status", message: "v1" },
    });
    await converged(ns, "fn", "v1");
    // Another sync (a metadata change is not status-only) writes nothing: the status is in line.
    const patched = await kit.patch(E2E_API_VERSION, KIND, "fn", { metadata: { annotations: { poke: "1" } } }, ns);
    await sleep(1_000);
    const now = await kit.get(E2E_API_VERSION, KIND, "fn", ns);
    assert.equal(now?.metadata?.resourceVersion, patched.metadata?.resourceVersion, "the status was written again");
    assert.equal(kit.errorCount("fn", { namespace: ns }), 0);
  });

  it("a handler that edits its snapshot in place: SyncFailed saying why, nothing claimed, the cluster as it was", async () => {
    const ns = "bi-mutate-snapshot";
    await namespaceWithBystander(ns);
    await kit.createParent({ apiVersion: E2E_API_VERSION, kind: KIND, metadata: { name: "mut", namespace: ns }, spec: { message: "v1" } });
    const before = await converged(ns, "mut", "v1");
    // The edit went into the cache before: the desired child equalled the cached one, nothing was
    // written, and the status claimed v2 while the ConfigMap in the cluster still said v1.
    await kit.patch(E2E_API_VERSION, KIND, "mut", { spec: { mode: "mutate-snapshot", message: "v2" } }, ns);
    const event = await kit.eventually(async () => {
      const found = (await kit.events("mut", ns)).find((e) => e.reason === "SyncFailed");
      assert.ok(found, "no SyncFailed Event");
      return found;
    });
    assert.match(String(event.message), /read only property 'message'.*copy one before editing it/);
    const now = await kit.get(E2E_API_VERSION, KIND, "mut", ns);
    assert.equal(
      ((now?.status ?? {}) as { observedGeneration?: number }).observedGeneration,
      before.metadata?.generation,
      "generation claimed",
    );
    assert.equal((((await kit.get("v1", "ConfigMap", "mut-cm", ns))?.data ?? {}) as { message?: string }).message, "v1");
    await kit.patch(E2E_API_VERSION, KIND, "bystander", { spec: { message: "b2" } }, ns);
    await converged(ns, "bystander", "b2");
  });

  it("a handler that sets observedGeneration itself while a child write fails: the generation is still not claimed", async () => {
    const ns = "bi-self-claimed";
    await namespaceWithBystander(ns);
    await kit.createParent({
      apiVersion: E2E_API_VERSION,
      kind: KIND,
      metadata: { name: "own", namespace: ns },
      spec: { mode: "self-claimed", message: "v1" },
    });
    await kit.eventually(async () => {
      assert.ok(
        (await kit.events("own", ns)).some((e) => e.reason === "ChildWriteFailed"),
        "no ChildWriteFailed Event",
      );
    });
    const status = await kit.eventually(async () => {
      const p = await kit.get(E2E_API_VERSION, KIND, "own", ns);
      assert.equal((p?.status as { message?: string } | undefined)?.message, "v1", "the status was not written");
      return p?.status as { observedGeneration?: number };
    });
    assert.equal(status.observedGeneration, undefined, "the status claims a generation whose child write failed");
    await kit.patch(E2E_API_VERSION, KIND, "bystander", { spec: { message: "b2" } }, ns);
    await converged(ns, "bystander", "b2");
  });

  it("a parent deleted while its sync runs: the sync finishes or stops cleanly, finalize runs, children are collected", async () => {
    const ns = "bi-deleted-mid-sync";
    await namespaceWithBystander(ns);
    await kit.createParent({ apiVersion: E2E_API_VERSION, kind: KIND, metadata: { name: "gone", namespace: ns }, spec: { message: "v1" } });
    await converged(ns, "gone", "v1");
    await kit.patch(E2E_API_VERSION, KIND, "gone", { spec: { mode: "slow", message: "v2" } }, ns);
    await sleep(300); // the slow sync is in flight
    await kit.delete(E2E_API_VERSION, KIND, "gone", ns);
    await kit.eventuallyDeleted(E2E_API_VERSION, KIND, "gone", ns, { timeout: 15_000 });
    await kit.eventuallyDeleted("v1", "ConfigMap", "gone-cm", ns, { timeout: 15_000 });
    assert.equal(kit.errorCount("gone", { namespace: ns }), 0);
    assert.deepEqual(
      (await kit.events("gone", ns)).filter((e) => e.type === "Warning").map((e) => `${e.reason}: ${e.message}`),
      [],
      "a deleted parent's sync reported a failure",
    );
    await kit.patch(E2E_API_VERSION, KIND, "bystander", { spec: { message: "b2" } }, ns);
    await converged(ns, "bystander", "b2");
  });

  it("a parent without a finalizer deleted while its sync runs: children written late are collected, nothing reported", async () => {
    const ns = "bi-deleted-no-finalizer";
    await kit.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const parent = (name: string, spec: Spec) => ({
      apiVersion: E2E_API_VERSION,
      kind: PAIR_KIND,
      metadata: { name, namespace: ns },
      spec,
    });
    await kit.createParent(parent("bystander", { message: "b1" }));
    await kit.createParent(parent("gone", { mode: "slow", message: "v1" }));
    await sleep(300); // its first sync is in flight, its children not yet written
    await kit.delete(E2E_API_VERSION, PAIR_KIND, "gone", ns);
    await kit.eventuallyDeleted(E2E_API_VERSION, PAIR_KIND, "gone", ns);
    // The late ConfigMap (if the sync wrote it) names a deleted owner: the garbage collector removes it.
    await kit.eventuallyDeleted("v1", "ConfigMap", "gone-cm", ns, { timeout: 15_000 });
    assert.equal(kit.errorCount("gone", { namespace: ns, operator: PAIR_OPERATOR }), 0);
    assert.deepEqual(
      (await kit.events("gone", ns)).filter((e) => e.type === "Warning").map((e) => `${e.reason}: ${e.message}`),
      [],
    );
    await converged(ns, "bystander", "b1", PAIR_KIND);
  });

  it("no crash: no unhandled rejection; every failure counted in the metrics", async () => {
    await sleep(500);
    assert.deepEqual(unhandled, [], "unhandled rejections");
    // A refused request is about the request, not the server: it must not read as an outage that
    // "ends" by waking every failed sync of every parent at once.
    assert.deepEqual(logs.find({ msg: "the API server is back" }), [], "a bad input was taken for an API server outage");
    const metric = async (name: string, label?: Record<string, string>) => {
      const m = await kit.runtime.metrics.registry.getSingleMetric(name)?.get();
      return (
        m?.values
          .filter((v) => v.labels.controller === OPERATOR && Object.entries(label ?? {}).every(([k, x]) => v.labels[k] === x))
          .reduce((a, v) => a + v.value, 0) ?? 0
      );
    };
    assert.ok((await metric("controller_runtime_reconcile_errors_total")) >= cases.length);
    for (const reason of ["throw", "timeout", "invalid_child", "invalid_response"]) {
      assert.ok((await metric("tsoperator_handler_errors_total", { reason })) > 0, `no handler error counted as ${reason}`);
    }
    for (const write of ["child", "status"]) {
      assert.ok((await metric("tsoperator_write_errors_total", { write })) > 0, `no write error counted for ${write}`);
    }
  });
});
