/**
 * The user-facing model on a real API server: constructor injection from a user's tsyringe
 * container, typed views that hand out class instances, roperator's sync + error function pair
 * (children kept when sync fails), and a cluster-scoped parent owning namespaced children.
 */
import "reflect-metadata";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { V1ConfigMap, V1Secret, type V1ObjectMeta } from "@kubernetes/client-node";
import { container, injectable } from "tsyringe";
import {
  KubernetesType,
  Operator,
  OperatorConfig,
  Sync,
  SyncResponse,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "../../src/index.js";
import { LocalControlPlane, TestKit } from "../../src/testing/index.js";
import { Greeting, GreetingOperator, GreetingService } from "../../samples/greeting/greeting.js";
import { E2E_API_VERSION, parentOf, testCrd, testType } from "./fixtures/crds.js";
import { LogCapture } from "./fixtures/log-capture.js";

const greetingCrd = fileURLToPath(new URL("../../../samples/greeting/crd.yaml", import.meta.url));

/** A different GreetingService, registered in a child container only. */
class ShoutingGreetingService extends GreetingService {
  override greet(name: string): string {
    return `HEY ${name.toUpperCase()}!!`;
  }
}

/** A user's class for a test kind: views and `req.parent` must be instances of it. */
@KubernetesType({ apiVersion: E2E_API_VERSION, kind: "Typed" })
class Typed {
  apiVersion = E2E_API_VERSION;
  kind = "Typed";
  metadata!: V1ObjectMeta;
  spec!: { value: string };
  describe(): string {
    return `${this.metadata.name}=${this.spec.value}`;
  }
}

/** What the typed operator saw inside its handler, per sync. */
const seen: {
  parentIsTyped: boolean;
  description: string;
  cmIsModel: boolean | undefined;
  cmValue: string | undefined;
  secrets: number;
}[] = [];

@injectable()
class Suffix {
  readonly value = "-suffix";
}

@Operator({ name: "typed", parent: Typed, children: [{ type: V1ConfigMap }, { type: V1Secret }] })
class TypedOperator {
  constructor(private readonly suffix: Suffix) {}

  @Sync()
  sync(req: SyncRequest<Typed>): SyncResponse {
    const cm = req.children.ofType(V1ConfigMap).first();
    seen.push({
      parentIsTyped: req.parent instanceof Typed,
      description: req.parent.describe(),
      cmIsModel: cm === undefined ? undefined : cm instanceof V1ConfigMap,
      cmValue: cm?.data?.value,
      secrets: req.children.ofType(V1Secret).count(),
    });
    const child = new V1ConfigMap(); // a class instance as a desired child
    child.apiVersion = "v1";
    child.kind = "ConfigMap";
    child.metadata = { name: `${req.parent.metadata.name}-typed` };
    child.data = { value: req.parent.spec.value + this.suffix.value };
    return SyncResponse.of({ seen: true }).withChild(child);
  }
}

/** roperator's pair: sync fails while spec.fail is set; the error function answers the status. */
const withErrorFn: OperatorDefinition = {
  config: new OperatorConfig("err-fn", testType("ErrFn"))
    .withChild(V1ConfigMap)
    .withBackoff({ initialDelayMs: 100, multiplier: 2, jitter: 0, maxDelayMs: 1_000 }),
  handler: [
    (req: SyncRequest<KubeObject>) => {
      const spec = req.raw.spec as { fail?: boolean; value?: string };
      if (spec.fail) throw new Error("upstream unavailable");
      return SyncResponse.of({ ok: true, error: null }).withChild({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${req.raw.metadata!.name}-cm` },
        data: { value: spec.value ?? "" },
      });
    },
    (_req: SyncRequest<KubeObject>, error: unknown) => ({ status: { ok: false, error: (error as Error).message } }),
  ],
};

/** A cluster-scoped parent whose ConfigMap lives in the namespace its spec names. */
const clusterScoped: OperatorDefinition = {
  config: new OperatorConfig("cluster-owner", testType("ClusterOwner")).withChild(V1ConfigMap),
  handler: (req: SyncRequest<KubeObject>) => {
    const spec = req.raw.spec as { namespace: string };
    return SyncResponse.of({ placed: spec.namespace }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `owned-by-${req.raw.metadata!.name}`, namespace: spec.namespace },
      data: { owner: req.raw.metadata!.name! },
    });
  },
};

describe("DI, typed views, error functions and cluster-scoped parents", { timeout: 120_000 }, () => {
  let cp: LocalControlPlane;
  let kit: TestKit;
  const logs = new LogCapture();

  before(async () => {
    cp = await LocalControlPlane.start();
    const child = container.createChildContainer();
    child.registerInstance(GreetingService, new ShoutingGreetingService());
    kit = await TestKit.start({
      controlPlane: cp,
      manifests: [greetingCrd, testCrd("Typed"), testCrd("ErrFn"), testCrd("ClusterOwner", { scope: "Cluster" })],
      operators: [GreetingOperator, TypedOperator, withErrorFn, clusterScoped],
      container: child,
      logger: logs.logger,
    });
  });

  after(async () => {
    await kit?.close();
    await cp?.stop();
  });

  it("injects the instance registered in the container passed to runOperators", async () => {
    await kit.createParent({ apiVersion: "samples.tsoperator.dev/v1", kind: "Greeting", metadata: { name: "ada" }, spec: { name: "Ada" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "ada-greeting", { data: { text: "HEY ADA!!" } });
    await kit.eventuallyMatches("samples.tsoperator.dev/v1", "Greeting", "ada", { status: { text: "HEY ADA!!", observedGeneration: 1 } });
    // The global container's service was not used.
    assert.notEqual(container.resolve(GreetingService).greet("Ada"), "HEY ADA!!");
  });

  it("typed views hand out class instances, in the handler and from kit.syncRequest", async () => {
    await kit.createParent({ apiVersion: E2E_API_VERSION, kind: "Typed", metadata: { name: "tv" }, spec: { value: "x" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "tv-typed", { data: { value: "x-suffix" } });
    // A later sync sees its child through the view.
    await kit.patch(E2E_API_VERSION, "Typed", "tv", { spec: { value: "y" } });
    await kit.eventuallyMatches("v1", "ConfigMap", "tv-typed", { data: { value: "y-suffix" } });
    await kit.reconcile();
    const last = seen.filter((s) => s.description.startsWith("tv=")).at(-1)!;
    assert.equal(last.parentIsTyped, true);
    assert.equal(last.cmIsModel, true);
    assert.ok(last.cmValue?.endsWith("-suffix"));
    assert.equal(last.secrets, 0);

    const req = kit.syncRequest<Greeting>("ada", { operator: "greeting" });
    assert.ok(req?.parent instanceof Greeting);
    const cm = req!.children.ofType(V1ConfigMap).first();
    assert.ok(cm instanceof V1ConfigMap);
    assert.equal(cm.data?.text, "HEY ADA!!");
    assert.ok(req!.children.ofType(V1ConfigMap).exists("ada-greeting"));
    assert.equal(req!.children.ofType(V1ConfigMap).raw()[0]?.metadata?.name, "ada-greeting");
  });

  it("error function: its status is written and the existing children are kept", async () => {
    await kit.createParent(parentOf("ErrFn", "ef", { value: "good" }));
    const cm = await kit.eventuallyMatches("v1", "ConfigMap", "ef-cm", { data: { value: "good" } });
    await kit.patch(E2E_API_VERSION, "ErrFn", "ef", { spec: { fail: true, value: "never" } });
    await kit.eventuallyMatches(E2E_API_VERSION, "ErrFn", "ef", {
      status: { ok: false, error: "upstream unavailable", observedGeneration: 2 },
    });
    await kit.eventually(
      () => assert.ok(kit.errorCount("ef", { operator: "err-fn" }) >= 3, `errorCount ${kit.errorCount("ef", { operator: "err-fn" })}`),
      { timeout: 10_000 },
    );
    const after = await kit.get("v1", "ConfigMap", "ef-cm");
    assert.equal(after?.metadata?.uid, cm.metadata?.uid, "the child was deleted after a failed sync");
    assert.equal(after?.metadata?.deletionTimestamp, undefined);
    assert.deepEqual(after?.data, { value: "good" });
    // Recovery: the next successful sync updates the child and the status.
    await kit.patch(E2E_API_VERSION, "ErrFn", "ef", { spec: { fail: false } });
    await kit.eventuallyMatches("v1", "ConfigMap", "ef-cm", { data: { value: "never" } });
    await kit.eventuallyMatches(E2E_API_VERSION, "ErrFn", "ef", { status: { ok: true } });
  });

  it("a cluster-scoped parent owns a namespaced child, and its deletion cascades", async () => {
    const parent = await kit.createParent({
      apiVersion: E2E_API_VERSION,
      kind: "ClusterOwner",
      metadata: { name: `co-${kit.namespace}` },
      spec: { namespace: kit.namespace },
    });
    const cm = await kit.eventuallyMatches("v1", "ConfigMap", `owned-by-co-${kit.namespace}`, { data: { owner: `co-${kit.namespace}` } });
    assert.equal(cm.metadata?.namespace, kit.namespace);
    assert.equal(cm.metadata?.ownerReferences?.[0]?.uid, parent.metadata?.uid);
    await kit.eventuallyMatches(E2E_API_VERSION, "ClusterOwner", `co-${kit.namespace}`, { status: { placed: kit.namespace } });
    const req = kit.syncRequest(`co-${kit.namespace}`, { operator: "cluster-owner" });
    assert.equal(req?.children.count(), 1);
    await kit.deleteParent(E2E_API_VERSION, "ClusterOwner", `co-${kit.namespace}`);
    await kit.eventuallyDeleted("v1", "ConfigMap", `owned-by-co-${kit.namespace}`, undefined, { timeout: 60_000 }); // the GC may need its 30 s discovery resync for a new CRD
  });
});
