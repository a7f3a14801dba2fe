import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { createSyncRequest, type SyncRequest } from "../api/sync-request.js";
import { KubeClient } from "../kube/client.js";
import { Discovery } from "../kube/discovery.js";
import type { KubeObject, ResourceType } from "../core/kube-object.js";
import { isNotFound } from "../kube/errors.js";
import { createLogger } from "../observability/logger.js";
import { isSubset } from "../controller/needs-write.js";
import type { OperatorInspection, OperatorRuntime } from "../runner/operator-runtime.js";
import { runOperators } from "../runner/run-operators.js";
import type { OperatorInput, RunOptions } from "../runner/run-options.js";
import { LocalControlPlane } from "./control-plane/local-control-plane.js";
import { applyManifests, ensureNamespace, readManifests } from "./manifests.js";
import { WebhookCertificates } from "./webhook-certificates.js";
import { webhookSpecsOf } from "../webhook/definitions.js";
import { findFreePorts } from "./control-plane/ports.js";
import { wireWebhooks } from "./webhook-wiring.js";
import { eventually, type EventuallyOptions } from "./eventually.js";

/** Options of {@link TestKit.start}. */
export interface TestKitOptions extends Omit<RunOptions, "kubeConfig" | "namespace" | "handleSignals"> {
  /** The operators under test (decorated classes or definitions). */
  operators: readonly OperatorInput[];
  /** CRDs and other manifests to install first: YAML file paths or wire objects. */
  manifests?: ReadonlyArray<string | KubeObject>;
  /** A control plane to use; when absent the kit starts one and stops it on `close()`. */
  controlPlane?: LocalControlPlane;
  /**
   * The test namespace (created); default `test-<random>`. The operators watch and manage only
   * this namespace (as `RunOptions.namespace`), so two kits or two replicas of a test never see
   * each other's objects.
   */
  namespace?: string;
  /** Let the operators watch every namespace instead of only the test namespace. Default false. */
  allNamespaces?: boolean;
  /**
   * Run the operators as this user of the control plane (one given in its `users` option) instead
   * of "admin": the audit log then tells the operators' writes from the test's own.
   */
  operatorUser?: string;
}

/** Options of {@link TestKit.reconcile}. */
export interface ReconcileOptions {
  /** Give up after this long (ms). Default 20 000. */
  timeout?: number;
  /** The pause between the two quiet checks (ms). Default 150. */
  quietMs?: number;
  /**
   * Do not fail when a sync failed (a handler error, an invalid child, a refused write): for
   * tests of failure handling. Default false: `reconcile()` asserts success, like roperator's
   * `reconcile_and_assert_success`.
   */
  allowFailures?: boolean;
}

/**
 * Runs operators against a real local control plane in a fresh namespace, with helpers to create
 * parents, wait for convergence and assert on what the cluster holds. roperator's TestKit, on a real
 * kube-apiserver.
 *
 * ```ts
 * const kit = await TestKit.start({ operators: [EchoServerOperator], manifests: ["samples/echo-server/crd.yaml"] });
 * await kit.createParent({ apiVersion: "samples.tsoperator.dev/v1", kind: "EchoServer", metadata: { name: "hi" }, spec: { message: "hi" } });
 * await kit.eventuallyExists("v1", "Service", "hi");
 * await kit.close();
 * ```
 */
export class TestKit {
  private readonly discovery: Discovery;
  /** The CA and serving certificate of the webhook server, when the kit serves webhooks (`rotate()` renews it on disk). */
  webhookCertificates?: WebhookCertificates;
  /** The Validating/MutatingWebhookConfigurations the kit created (deleted by `close()`). */
  webhookConfigurations: KubeObject[] = [];

  private constructor(
    /** The control plane the operators run against. */
    readonly controlPlane: LocalControlPlane,
    private readonly ownsControlPlane: boolean,
    /** The running operators. */
    readonly runtime: OperatorRuntime,
    /** A wire-JSON client with admin rights, for the test's own reads and writes. */
    readonly client: KubeClient,
    /** The namespace created for this test. */
    readonly namespace: string,
  ) {
    this.discovery = new Discovery(client);
  }

  /** Starts (or reuses) a control plane, installs manifests, creates the namespace, runs the operators. */
  static async start(options: TestKitOptions): Promise<TestKit> {
    const controlPlane = options.controlPlane ?? (await LocalControlPlane.start());
    const client = KubeClient.fromKubeConfig(controlPlane.kubeConfig);
    try {
      const discovery = new Discovery(client);
      const manifests: KubeObject[] = [];
      for (const m of options.manifests ?? []) manifests.push(...(typeof m === "string" ? await readManifests(m) : [m]));
      const { newCrds } = await applyManifests(client, discovery, manifests);
      // The garbage collector picks up new kinds only every 30 s: restart it so owner cascades
      // of the new custom resources work at once.
      if (newCrds > 0 && controlPlane.hasControllerManager) {
        await controlPlane.restartControllerManager();
      }
      const namespace = options.namespace ?? `test-${randomBytes(4).toString("hex")}`;
      await ensureNamespace(client, discovery, namespace);
      const { operators, manifests: _m, controlPlane: _c, namespace: _n, allNamespaces, operatorUser, ...runOptions } = options;
      // Webhooks: a CA made on the fly, the server on loopback on a port chosen now; the API server is
      // pointed at it before the operators start (their first list of a converted type needs it).
      let certificates: WebhookCertificates | undefined;
      let webhookConfigurations: KubeObject[] = [];
      if ((options.webhooks ?? []).length > 0) {
        certificates = await WebhookCertificates.create();
        const [port] = options.webhookServer?.port ? [options.webhookServer.port] : await findFreePorts(1);
        runOptions.webhookServer = {
          host: "127.0.0.1",
          certReloadIntervalMs: 200,
          ...options.webhookServer,
          port,
          certDir: certificates.dir,
        };
        webhookConfigurations = await wireWebhooks(client, discovery, webhookSpecsOf(options.webhooks ?? []), {
          name: `tsoperator-testkit-${namespace}`,
          endpoint: { url: `https://127.0.0.1:${port}`, caBundle: certificates.caBundle },
          ...(allNamespaces ? {} : { namespaces: [namespace] }),
        });
      }
      const runtime = await runOperators(operators, {
        logger: createLogger({ level: (process.env.TSOPERATOR_LOG_LEVEL as never) ?? "warn" }),
        // No probe server unless asked for: tests run many runtimes side by side.
        healthPort: false,
        ...runOptions,
        ...(allNamespaces ? {} : { namespace }),
        // tsoperator's own kubeconfig loader, as a deployed operator uses it by default.
        kubeConfig: controlPlane.clusterConfigFor(operatorUser ? { user: operatorUser } : {}),
        handleSignals: false,
      });
      const kit = new TestKit(controlPlane, !options.controlPlane, runtime, client, namespace);
      if (certificates) kit.webhookCertificates = certificates;
      kit.webhookConfigurations = webhookConfigurations;
      return kit;
    } catch (error) {
      await client.close();
      if (!options.controlPlane) await controlPlane.stop();
      throw error;
    }
  }

  /** The resource type of a kind (discovery, cached). */
  resource(apiVersion: string, kind: string): Promise<ResourceType> {
    return this.discovery.resolve(apiVersion, kind);
  }

  /** Creates an object; namespaced objects default to the test namespace. Returns the created object. */
  async create(obj: KubeObject): Promise<KubeObject> {
    const type = await this.resource(obj.apiVersion ?? "", obj.kind ?? "");
    return this.client.create(type, this.inNamespace(type, obj));
  }

  /** Creates a parent (same as `create`; named for roperator users). */
  createParent(obj: KubeObject): Promise<KubeObject> {
    return this.create(obj);
  }

  /** Server-side applies an object (field manager "tsoperator-testkit"). */
  async apply(obj: KubeObject): Promise<KubeObject> {
    const type = await this.resource(obj.apiVersion ?? "", obj.kind ?? "");
    return this.client.apply(type, this.inNamespace(type, obj), { fieldManager: "tsoperator-testkit", force: true });
  }

  /** Merge-patches an object. */
  async patch(apiVersion: string, kind: string, name: string, patch: unknown, namespace?: string): Promise<KubeObject> {
    const type = await this.resource(apiVersion, kind);
    return this.client.patch(type, this.ns(type, namespace), name, patch, "merge");
  }

  /** Reads an object; undefined when it does not exist. */
  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const type = await this.resource(apiVersion, kind);
    return this.client.get(type, this.ns(type, namespace), name);
  }

  /** Lists objects of a kind (in the test namespace for namespaced kinds). */
  async list(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
    const type = await this.resource(apiVersion, kind);
    const ns = this.ns(type, opts.namespace);
    return (
      await this.client.list(type, {
        ...(ns ? { namespace: ns } : {}),
        ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
      })
    ).items;
  }

  /** Deletes an object; a missing one is fine. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    const type = await this.resource(apiVersion, kind);
    try {
      await this.client.delete(type, this.ns(type, namespace), name, { propagationPolicy: "Background" });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Deletes a parent (same as `delete`). */
  deleteParent(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    return this.delete(apiVersion, kind, name, namespace);
  }

  /**
   * Waits until the operators are quiet: no sync queued or running, twice in a row across a short
   * pause (so watch events of the last writes have arrived and been handled). Then asserts
   * success, like roperator's `reconcile_and_assert_success`: every operator runs and the latest
   * sync of every parent succeeded; otherwise it throws, naming them (opt out with
   * `allowFailures` to test failure handling).
   */
  async reconcile(options: ReconcileOptions = {}): Promise<void> {
    const deadline = Date.now() + (options.timeout ?? 20_000);
    const quietMs = options.quietMs ?? 150;
    let quietRounds = 0;
    while (quietRounds < 2) {
      if (Date.now() > deadline) throw new Error(`operators were still busy after ${options.timeout ?? 20_000} ms`);
      await withDeadline(this.runtime.idle(), deadline - Date.now());
      await sleep(quietMs);
      const busy = this.runtime.state().controllers.some((c) => c.queueDepth > 0 || c.inFlight > 0);
      quietRounds = busy ? 0 : quietRounds + 1;
    }
    if (options.allowFailures) return;
    const problems = this.runtime.operatorNames.flatMap((name) => {
      const operator = this.runtime.inspect(name);
      const failure = operator.failure();
      if (failure) return [`operator ${name} does not run: ${failure}`];
      const parents = operator.failingParents();
      return parents.length > 0 ? [`operator ${name}: the latest sync of ${parents.join(", ")} failed`] : [];
    });
    if (problems.length > 0) {
      throw new Error(`reconcile(): ${problems.join("; ")} (see the log; pass { allowFailures: true } when the test expects failures)`);
    }
  }

  /** Retries `check` until it returns without throwing (and its value when it has one). */
  eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
    return eventually(check, options);
  }

  /** Waits until the object exists; returns it. */
  eventuallyExists(apiVersion: string, kind: string, name: string, namespace?: string, options?: EventuallyOptions): Promise<KubeObject> {
    return this.eventually(async () => {
      const obj = await this.get(apiVersion, kind, name, namespace);
      if (!obj) throw new Error(`${kind} ${name} does not exist`);
      return obj;
    }, options);
  }

  /** Waits until the object is gone. */
  eventuallyDeleted(apiVersion: string, kind: string, name: string, namespace?: string, options?: EventuallyOptions): Promise<void> {
    return this.eventually(async () => {
      const obj = await this.get(apiVersion, kind, name, namespace);
      if (obj) throw new Error(`${kind} ${name} still exists${obj.metadata?.deletionTimestamp ? " (terminating)" : ""}`);
    }, options);
  }

  /** Waits until the object exists and contains `subset` (same rules as the runtime's no-op check). */
  eventuallyMatches(
    apiVersion: string,
    kind: string,
    name: string,
    subset: object,
    namespace?: string,
    options?: EventuallyOptions,
  ): Promise<KubeObject> {
    return this.eventually(async () => {
      const obj = await this.get(apiVersion, kind, name, namespace);
      if (!obj) throw new Error(`${kind} ${name} does not exist`);
      if (!isSubset(subset, obj)) throw new Error(`${kind} ${name} does not match ${JSON.stringify(subset)}: ${JSON.stringify(obj)}`);
      return obj;
    }, options);
  }

  /** The SyncRequest the operator would get for a parent now (from its caches). */
  syncRequest<P = KubeObject>(parentName: string, options: { operator?: string; namespace?: string } = {}): SyncRequest<P> | undefined {
    const operator = this.operator(options.operator);
    const parent = operator.parent(options.namespace ?? this.namespace, parentName);
    if (!parent) return undefined;
    return createSyncRequest<P>({
      parent,
      children: operator.childrenOf(parent),
      registry: this.runtime.registry,
      related: operator.relatedOf(parent),
      lookup: (indexName, key, namespace) => operator.lookup(indexName, key, namespace),
    });
  }

  /** How many syncs of a parent have failed so far. */
  errorCount(parentName: string, options: { operator?: string; namespace?: string } = {}): number {
    return this.operator(options.operator).errorCount(options.namespace ?? this.namespace, parentName);
  }

  /** The Events recorded about an object (by name) in a namespace. */
  async events(involvedName: string, namespace?: string): Promise<KubeObject[]> {
    const items = await this.list("v1", "Event", { namespace: namespace ?? this.namespace });
    return items.filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === involvedName);
  }

  /** Stops the operators, deletes the namespace (without waiting), closes clients; stops an owned control plane. */
  async close(): Promise<void> {
    await this.runtime.stop();
    for (const config of this.webhookConfigurations) {
      await this.delete(config.apiVersion!, config.kind!, config.metadata!.name!).catch(() => undefined);
    }
    await this.webhookCertificates?.remove();
    if (this.ownsControlPlane) {
      await this.client.close();
      await this.controlPlane.stop();
      return;
    }
    await this.delete("v1", "Namespace", this.namespace).catch(() => undefined);
    await this.client.close();
  }

  /** The read-only seam into one running operator (`OperatorRuntime.inspect`). */
  private operator(name?: string): OperatorInspection {
    return this.runtime.inspect(name);
  }

  private ns(type: ResourceType, namespace: string | undefined): string | undefined {
    return type.namespaced ? (namespace ?? this.namespace) : undefined;
  }

  private inNamespace(type: ResourceType, obj: KubeObject): KubeObject {
    if (!type.namespaced || obj.metadata?.namespace) return obj;
    return { ...obj, metadata: { ...obj.metadata, namespace: this.namespace } };
  }
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error("operators were still busy at the deadline")), Math.max(ms, 0))),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
