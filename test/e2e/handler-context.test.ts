/**
 * The handler's context on the local control plane: `req.events` (an Event on the parent),
 * `req.signal` (aborted at the timeout), `req.reason` (created / child changed / resync), `req.log`;
 * the injectables (logger, Metrics, OperatorEvents, KubeConfig) in an operator's own service through
 * tsyringe; children labelled `app.kubernetes.io/managed-by` under a configurable tracking label; `/health`.
 */
import "reflect-metadata";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { readFile } from "node:fs/promises";
import { KubeConfig, V1ConfigMap } from "@kubernetes/client-node";
import { Counter } from "prom-client";
import { container, inject, injectable } from "tsyringe";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import {
  Metrics,
  Operator,
  OperatorEvents,
  Sync,
  SyncResponse,
  TSOPERATOR_LOGGER,
  runOperators,
  tsyringeResolver,
  type Logger,
  type SyncRequest,
} from "../../src/index.js";
import { Greeting } from "../../samples/greeting/greeting.js";
import type { KubeObject } from "../../src/core/kube-object.js";

const crd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));
const TRACKING = "e2e.example.com/owner";

/** What the handler saw, per parent name. */
const AUDIT_EVERYTHING = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
`;

const seen = new Map<string, { reasons: string[]; aborted?: string }>();

/** An operator's own service, given the runtime's injectables by tsyringe (no plumbing through the request). */
@injectable()
class Audit {
  readonly greeted: Counter;
  constructor(
    readonly events: OperatorEvents,
    readonly metrics: Metrics,
    readonly kubeConfig: KubeConfig,
    @inject(TSOPERATOR_LOGGER) readonly log: Logger,
  ) {
    this.greeted = new Counter({ name: "e2e_greetings_total", help: "greetings audited", registers: [metrics.registry] });
  }

  record(parent: object): void {
    this.greeted.inc();
    this.events.normal(parent, "Audited", "audited by a service");
  }
}

let audit: Audit | undefined;

@Operator({ name: "ctx", parent: Greeting, children: [{ type: V1ConfigMap }], handlerTimeoutMs: 1500, trackingLabel: TRACKING })
class ContextOperator {
  constructor(service: Audit) {
    audit = service;
  }

  @Sync()
  async sync(req: SyncRequest<Greeting>): Promise<SyncResponse> {
    const name = req.parent.metadata.name!;
    const entry = seen.get(name) ?? { reasons: [] };
    seen.set(name, entry);
    entry.reasons.push(String(req.reason));
    req.log.info("syncing", { reason: String(req.reason) });
    if (req.parent.spec.name === "slow") {
      // Waits for the signal, as a fetch given req.signal would.
      await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
      entry.aborted = (req.signal.reason as Error).name;
      throw req.signal.reason;
    }
    req.events.normal("Greeted", `greeted ${req.parent.spec.name}`);
    audit?.record(req.parent);
    const cm = new V1ConfigMap();
    cm.apiVersion = "v1";
    cm.kind = "ConfigMap";
    cm.metadata = { name: `${name}-ctx` };
    cm.data = { text: `hi ${req.parent.spec.name}` };
    const response = SyncResponse.of({ text: "ok" }).withChild(cm);
    return req.parent.spec.name === "resync" ? response.withResyncAfter(1000) : response;
  }
}

let cp: LocalControlPlane;
let kit: TestKit;

before(async () => {
  // Every request audited (not only writes): the user agent of a runtime's lists shows there.
  cp = await LocalControlPlane.start({ controllerManager: false, audit: { policy: AUDIT_EVERYTHING } });
  kit = await TestKit.start({ controlPlane: cp, manifests: [crd], operators: [ContextOperator], healthPort: 0, healthHost: "127.0.0.1" });
});
after(async () => {
  await kit?.close();
  await cp?.stop();
});

const greeting = (name: string, spec: string): KubeObject => ({
  apiVersion: "samples.tsoperator.dev/v1",
  kind: "Greeting",
  metadata: { name },
  spec: { name: spec },
});

test("req.events records an Event on the parent; a service records one through the injected OperatorEvents", async () => {
  await kit.createParent(greeting("ev", "Ada"));
  const events = await kit.eventually(async () => {
    const list = await kit.events("ev");
    assert.ok(list.some((e) => e.reason === "Greeted") && list.some((e) => e.reason === "Audited"), JSON.stringify(list));
    return list;
  });
  const greeted = events.find((e) => e.reason === "Greeted")!;
  assert.equal(greeted.type, "Normal");
  assert.equal(greeted.message, "greeted Ada");
  assert.equal((greeted.involvedObject as { kind: string }).kind, "Greeting");
  assert.equal((greeted.source as { component: string }).component, "ctx");
});

test("the injected Metrics, KubeConfig and logger are the runtime's", async () => {
  assert.ok(audit, "the operator was built with its service");
  assert.equal(audit.metrics, kit.runtime.metrics);
  assert.equal(audit.kubeConfig, kit.runtime.kubeConfig);
  assert.equal(typeof audit.log.child, "function");
  const text = await (await fetch(`http://127.0.0.1:${kit.runtime.healthPort}/metrics`)).text();
  assert.match(text, /^e2e_greetings_total [1-9]/m);
});

test("req.reason: created, then child-changed when a child changes, resync after resyncAfter", async () => {
  await kit.createParent(greeting("why", "resync"));
  await kit.eventuallyExists("v1", "ConfigMap", "why-ctx");
  await kit.eventually(() =>
    assert.ok(
      (seen.get("why")?.reasons ?? []).some((r) => r === "resync"),
      String(seen.get("why")?.reasons),
    ),
  );
  assert.equal(seen.get("why")!.reasons[0], "created");
  await kit.patch("v1", "ConfigMap", "why-ctx", { data: { text: "tampered" } });
  await kit.eventually(() =>
    assert.ok(
      seen.get("why")!.reasons.some((r) => r.includes("child-changed ConfigMap why-ctx (MODIFIED)")),
      String(seen.get("why")!.reasons),
    ),
  );
});

test("req.signal aborts at the handler timeout, with the HandlerTimeoutError as its reason", async () => {
  await kit.createParent(greeting("slow", "slow"));
  await kit.eventually(() => assert.equal(seen.get("slow")?.aborted, "HandlerTimeoutError"), { timeout: 10_000 });
  const events = await kit.eventually(async () => {
    const list = await kit.events("slow");
    assert.ok(
      list.some((e) => e.reason === "HandlerTimeout"),
      JSON.stringify(list.map((e) => e.reason)),
    );
    return list;
  });
  assert.ok(events.length >= 1);
});

test("children carry app.kubernetes.io/managed-by and the configured tracking label (not the default one)", async () => {
  const cm = await kit.eventuallyExists("v1", "ConfigMap", "ev-ctx");
  const parent = (await kit.get("samples.tsoperator.dev/v1", "Greeting", "ev"))!;
  const labels = cm.metadata?.labels ?? {};
  assert.equal(labels["app.kubernetes.io/managed-by"], "ctx");
  assert.equal(labels[TRACKING], parent.metadata?.uid);
  assert.equal(labels["tsoperator.dev/parent-uid"], undefined);
  // The operator finds it as its child through that label: a no-op resync writes nothing.
  assert.equal(kit.runtime.inspect("ctx").childrenOf(parent).length, 1);
});

test("/health answers like /healthz (roperator's path)", async () => {
  const res = await fetch(`http://127.0.0.1:${kit.runtime.healthPort}/health`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "ok\n");
});

test("by default the runtime serves on 8080; when that port is taken it runs without and says so; userAgent is sent", async () => {
  // Hold 8080 (or find it held by another process: the outcome is the same).
  const blocker: Server = createServer();
  const held = await new Promise<boolean>((resolve) => {
    blocker.once("error", () => resolve(false));
    blocker.listen(8080, () => resolve(true));
  });
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (msg) => void warnings.push(msg),
    error() {},
    child() {
      return logger;
    },
  };
  const closeBlocker = () => (held ? new Promise((resolve) => blocker.close(resolve)) : Promise.resolve());
  const runtime = await runOperators([ContextOperator], {
    kubeConfig: cp.kubeConfig,
    namespace: kit.namespace,
    handleSignals: false,
    logger,
    events: false,
    userAgent: "handler-ctx-e2e/1.0",
    // The documented way to use a container of one's own: the injectables still reach the operator's service.
    resolver: tsyringeResolver(container.createChildContainer()),
    clientRateLimit: { qps: 50, burst: 100 },
  }).catch(async (error: unknown) => {
    await closeBlocker(); // else the held port keeps the test process alive
    throw error;
  });
  try {
    assert.equal(runtime.healthPort, undefined);
    assert.ok(
      warnings.some((w) => w.includes("port 8080 (the default of healthPort) is taken")),
      warnings.join("\n"),
    );
    // A second runtime finds the parents by its first list: their reason is "existing", not "created".
    await kit.eventually(() => assert.ok(seen.get("ev")!.reasons.includes("existing"), String(seen.get("ev")!.reasons)));
    const audit = await readFile(cp.auditLogPath!, "utf8");
    assert.match(audit, /"userAgent":"handler-ctx-e2e\/1\.0"/, "the runtime's requests carry the user agent it was given");
  } finally {
    await runtime.stop();
    await closeBlocker();
  }
});
