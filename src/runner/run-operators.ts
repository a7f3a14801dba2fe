/**
 * The composition root: `runOperators` compiles each operator, discovers its types, builds the
 * shared informers, controllers, Event recorders, probe server and leader election, adds them to
 * one `Manager` and starts it. Guarantees: one list+watch per type and scope for the process; a
 * definition error or a type the cluster does not serve rejects before anything runs.
 */
import "reflect-metadata";
import { container as globalContainer } from "tsyringe";
import { compileOperator, type CompiledOperator, type OperatorInput } from "../api/compile.js";
import { OPERATOR_DEFAULTS, type OperatorConfig } from "../api/operator-config.js";
import { operatorScope, scopeProblems } from "../api/scope.js";
import { customResourceOf } from "../api/custom-resource.js";
import { OperatorDefinitionError } from "../core/errors.js";
import { isTsyringeResolver, tsyringeResolver, type InstanceResolver } from "../di/resolver.js";
import { KubeClient } from "../kube/client.js";
import { Discovery, KindNotServedError } from "../kube/discovery.js";
import { clusterConfigOf, loadClusterConfig, type ClusterConfig } from "../kube/cluster-config.js";
import { lendKubeConfigOnResolve } from "./kubeconfig-token.js";
import type { ResourceType } from "../core/kube-object.js";
import type { K8sType } from "../core/k8s-type.js";
import { HealthServer } from "../observability/health-server.js";
import { EventLoopMonitor } from "../observability/event-loop-monitor.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import { TypeRegistry } from "../registry/type-registry.js";
import { Controller } from "../controller/controller.js";
import type { ControllerSpec } from "../controller/controller-spec.js";
import { EventRecorder } from "../manager/event-recorder.js";
import { InformerPool } from "../cache/informer-pool.js";
import { Manager } from "../manager/manager.js";
import {
  DEFAULT_CACHE_SYNC_TIMEOUT_MS,
  LeaseElection,
  controllerRunnable,
  eventRecorderRunnable,
  healthServerRunnable,
  informerRunnable,
} from "../manager/runnables.js";
import { resolveWebhook, webhookSpecsOf } from "../webhook/definitions.js";
import { WebhookServer } from "../webhook/webhook-server.js";
import { webhookServerRunnable } from "../webhook/webhook-runnable.js";
import { adaptHandler } from "./handler-adapter.js";
import { registerRelatedClasses, relatedSpecsOf } from "./related-adapter.js";
import { OperatorRuntime } from "./operator-runtime.js";
import { DEFAULT_HEALTH_PORT, type LeaderElectionOptions, type RunOptions } from "./run-options.js";
import { OperatorEvents } from "../manager/operator-events.js";
import { TSOPERATOR_LOGGER } from "../di/tokens.js";
import type { DependencyContainer } from "tsyringe";

/**
 * Runs operators in this process until stopped: one shared list+watch per type, a work queue per
 * operator, and the sync/finalize loop of each, all started and stopped by one `Manager` (with
 * the probe server, leader election, the Event recorders and `options.runnables`). Resolves, with
 * the running `OperatorRuntime`, once everything is started: without leader election, once every
 * operator's caches have listed and its workers run (or it failed after `cacheSyncTimeoutMs`);
 * with it, once the campaign has begun (standbys keep listing in the background); `await
 * runtime.done` to block until it stops (SIGINT/SIGTERM stop it by default, draining in-flight
 * syncs, releasing the lease, writing pending Events, closing the client last).
 *
 * ```ts
 * const runtime = await runOperators([EchoServerOperator]);
 * await runtime.done;
 * ```
 *
 * Errors: rejects when an operator is ill-defined (`OperatorDefinitionError`) or a type it uses is
 * not served by the cluster (`KindNotServedError`: install the CRD first) — except a child type
 * that declares its plural and scope: it is watched as declared and the operator starts once it is served. Once running, failures
 * of single parents are logged, counted and recorded as Events; they never stop the runtime. An
 * operator whose caches do not list within `cacheSyncTimeoutMs` (e.g. RBAC without `list` on a
 * child type) does not run: it is logged at error, `/readyz` turns red, and
 * `runtime.state().controllers[i].failed` says why; the other operators run on. It keeps waiting,
 * and runs once its lists succeed (RBAC granted, CRD installed later): no restart needed.
 */
export async function runOperators(operators: readonly OperatorInput[], options: RunOptions = {}): Promise<OperatorRuntime> {
  if (operators.length === 0 && (options.webhooks ?? []).length === 0) {
    throw new TypeError("runOperators needs at least one operator class or definition (or webhooks to serve)");
  }
  const cluster = options.kubeConfig ? clusterConfigOf(options.kubeConfig) : loadClusterConfig();
  const logger: Logger =
    options.logger ??
    createLogger({ ...(options.logLevel ? { level: options.logLevel } : {}), ...(options.logFormat ? { format: options.logFormat } : {}) });
  const metrics = options.metrics ?? new Metrics();
  const client = KubeClient.fromKubeConfig(cluster, {
    ...options.client,
    onRequest: metrics.restClientHook(),
    onConcurrencyLimit: metrics.concurrencyLimitHook(),
    ...(options.clientRateLimit ? { rateLimit: options.clientRateLimit } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  const registry = options.registry ?? new TypeRegistry();
  const container = options.container ?? globalContainer;
  const operatorEvents = options.operatorEvents ?? new OperatorEvents();
  // A tsyringe resolver (given, or made from `container`) gets the injectables through a child of its container.
  const lent = { cluster, logger, metrics, operatorEvents };
  const given = options.resolver;
  const resolver: InstanceResolver = !given
    ? tsyringeResolver(injectablesContainer(container, lent))
    : isTsyringeResolver(given)
      ? tsyringeResolver(injectablesContainer(given.container, lent))
      : given;
  // KubeConfig resolved through the user's container (a token's provider, container.resolve in a handler): the
  // runtime's while it runs (kubeconfig-token.ts); never registered there, so a later runtime lends its own.
  const unlend = lendKubeConfigOnResolve(given && isTsyringeResolver(given) ? given.container : container, () => cluster.toKubeConfig());

  let health: HealthServer | undefined;
  let webhookServer: WebhookServer | undefined;
  let election: LeaseElection | undefined;
  try {
    const compiled = operators.map((op) => compileOperator<unknown>(op));
    const runScopeProblems = scopeProblems(options.namespaces, options.labelSelector);
    if (runScopeProblems.length > 0) throw new OperatorDefinitionError("RunOptions", runScopeProblems);
    const discovery = new Discovery(client);
    const informers = new InformerPool(client, logger, metrics);
    const controllers: Controller[] = [];
    const recorders = new Map<string, EventRecorder>();
    for (const op of compiled) {
      const config = op.config;
      registerClasses(config, registry);
      registerRelatedClasses(config, registry);
      const spec = await controllerSpecOf(config, discovery, options, logger);
      if (config.related.length > 0 || config.indexes.length > 0) Object.assign(spec, await relatedSpecsOf(config, discovery, registry));
      const handler = await op.handlerFactory(resolver);
      const events = options.events === false ? undefined : new EventRecorder({ client, component: config.name, logger });
      const snapshotHandler = adaptHandler(
        handler as never,
        config,
        registry,
        { parent: spec.parent, children: spec.children.map((c) => c.resource) },
        { logger, ...(events ? { events } : {}) },
      );
      if (events) recorders.set(config.name, events);
      controllers.push(
        new Controller(spec, snapshotHandler, {
          client,
          informers,
          logger,
          metrics,
          ...(events ? { events } : {}),
          // Writes check the lease by the clock: a handler that blocked the event loop past it
          // returns before the elector's timer can end leadership.
          mayWrite: () => election?.isLeader() ?? true,
        }),
      );
      logger.info("operator registered", {
        operator: config.name,
        parent: `${spec.parent.apiVersion} ${spec.parent.kind}`,
        children: spec.children.map((c) => `${c.resource.kind}:${c.strategy}`).join(","),
        namespaces: spec.namespaces?.join(",") ?? "*",
        ...(spec.labelSelector ? { labelSelector: spec.labelSelector } : {}),
        ...(spec.related?.length ? { related: spec.related.map((r) => `${r.resource.kind}:${r.selection.by}`).join(",") } : {}),
      });
    }

    const leaderElection = options.leaderElection ? leaderElectionOf(options.leaderElection, compiled, logger) : undefined;
    const electionOptions = options.leaderElection;
    // biome-ignore lint/complexity/useOptionalChain: `false` (election off) has no warmCaches; `?.` does not type-check
    const warmCaches = !electionOptions || electionOptions.warmCaches !== false;
    const cacheSyncTimeoutMs = options.cacheSyncTimeoutMs ?? DEFAULT_CACHE_SYNC_TIMEOUT_MS;
    election = leaderElection ? new LeaseElection({ client, metrics, logger, ...leaderElection }) : undefined;
    const manager = new Manager({
      logger,
      closers: [() => client.close()],
      ...(election ? { election } : {}),
    });
    informers.seal();
    for (const informer of informers.all()) manager.add(informerRunnable(informer, { needsLeaderElection: !warmCaches }));
    for (const controller of controllers) manager.add(controllerRunnable(controller, { cacheSyncTimeoutMs, logger }));
    for (const [name, recorder] of recorders) manager.add(eventRecorderRunnable(name, recorder));
    for (const runnable of options.runnables ?? []) manager.add(runnable);
    // The injectable OperatorEvents records through a recorder of its own (component: the operators).
    if (options.events !== false) {
      const shared = new EventRecorder({ client, component: compiled.map((c) => c.config.name).join(","), logger });
      manager.add(eventRecorderRunnable("(injected)", shared));
      operatorEvents.attach(shared, logger);
      void manager.done.then(() => operatorEvents.attach(undefined));
    }

    let webhookPort: number | undefined;
    if ((options.webhooks ?? []).length > 0) {
      webhookSpecsOf(options.webhooks!); // two webhooks on one path: fail before anything runs
      const webhooks = [];
      for (const input of options.webhooks!) webhooks.push(await resolveWebhook(input, resolver));
      webhookServer = new WebhookServer(webhooks, { ...options.webhookServer, logger, metrics });
      // Bound before anything starts, like the probe server: a busy port or a missing certificate fails at once.
      webhookPort = await webhookServer.start();
      manager.add(webhookServerRunnable(webhookServer));
    }

    let healthPort: number | undefined;
    const wantedPort = options.healthPort ?? DEFAULT_HEALTH_PORT;
    if (wantedPort !== false) {
      health = new HealthServer({ metrics, logger });
      for (const name of [...manager.names(), ...(leaderElection ? ["leader-election"] : [])]) {
        health.addReadinessCheck(name, () => manager.readinessOf(name));
      }
      // Liveness: red only when a restart is the cure (see docs/deploying.md, "Probes").
      const eventLoop = new EventLoopMonitor();
      health.addLivenessCheck("event-loop", () => eventLoop.check());
      health.addLivenessCheck("runnables", () => manager.liveness());
      // Bound before anything starts, so a busy port fails runOperators at once; only the default
      // port may be taken (another process, a second runtime in a test) without failing.
      healthPort = await startHealthServer(health, wantedPort, options.healthPort === undefined, options.healthHost, logger);
      if (healthPort !== undefined) manager.add(healthServerRunnable(health, eventLoop));
      else health = undefined;
    }

    const runtime = new OperatorRuntime({
      cluster,
      registry,
      logger,
      metrics,
      informers,
      controllers,
      manager,
      ...(healthPort !== undefined ? { healthPort } : {}),
      ...(webhookPort !== undefined ? { webhookPort } : {}),
    });
    if (options.handleSignals !== false) installSignalHandlers(runtime, logger);
    void runtime.done.then(unlend, unlend);
    await manager.start(options.signal);
    logger.info("operators running", { operators: compiled.map((c) => c.config.name).join(",") });
    return runtime;
  } catch (error) {
    unlend();
    await health?.stop();
    await webhookServer?.stop();
    await client.close();
    throw error;
  }
}

/** Classes named in the config convert views and desired children; register them once. */
function registerClasses(config: OperatorConfig, registry: TypeRegistry): void {
  if (config.parentClass) registry.register(config.parent, config.parentClass);
  else if (!registry.lookup(config.parent.apiVersion, config.parent.kind)) registry.register(config.parent);
  for (const child of config.children) {
    if (child.cls) registry.register(child.type, child.cls);
    else if (!registry.lookup(child.type.apiVersion, child.type.kind)) registry.register(child.type);
  }
}

/**
 * A child type as discovery serves it; when it is not served yet but its declaration says plural and
 * scope (a CRD installed after the operator, e.g. by the same chart), the declared type, with a
 * warning: its informer's lists are refused and retried, and the controller starts once they succeed
 * (it reports the wait past `cacheSyncTimeoutMs`). Without a declared plural and scope it rejects
 * (`KindNotServedError`), as a parent type always does: a parent type that does not exist is a mistake to fail on at start.
 */
async function childResourceOf(type: K8sType, discovery: Discovery, logger: Logger): Promise<ResourceType> {
  try {
    return await discovery.resolve(type.apiVersion, type.kind);
  } catch (error) {
    if (!(error instanceof KindNotServedError) || type.plural === undefined || type.namespaced === undefined) throw error;
    logger.warn(`${error.message}; watching it as declared (${type.plural}) until it is served`, { kind: type.kind });
    const { group, version, apiVersion, kind, plural, namespaced } = type;
    return { group, version, apiVersion, kind, plural, namespaced };
  }
}

async function controllerSpecOf(
  config: OperatorConfig,
  discovery: Discovery,
  options: RunOptions,
  logger: Logger,
): Promise<ControllerSpec> {
  const parent = await discovery.resolve(config.parent.apiVersion, config.parent.kind);
  const children: ControllerSpec["children"] = [];
  for (const child of config.children) {
    const resource: ResourceType = await childResourceOf(child.type, discovery, logger);
    children.push({ resource, strategy: child.updateStrategy, adopt: child.adopt === true });
  }
  const spec: ControllerSpec = {
    name: config.name,
    parent,
    children,
    fieldManager: config.fieldManager,
    handlerTimeoutMs: config.handlerTimeoutMs,
    // RunOptions.concurrency applies to operators that kept the default.
    concurrency: options.concurrency && config.concurrency === OPERATOR_DEFAULTS.concurrency ? options.concurrency : config.concurrency,
    backoff: config.backoff,
  };
  const scope = operatorScope(config, options, parent.namespaced);
  if (scope.namespaces) spec.namespaces = scope.namespaces;
  if (scope.labelSelector) spec.labelSelector = scope.labelSelector;
  if (config.trackingLabel) spec.trackingLabel = config.trackingLabel;
  if (config.finalizeEnabled) spec.finalizer = config.finalizerName;
  else spec.formerFinalizer = config.finalizerName;
  const resyncPeriodMs = config.resyncPeriodMs ?? OPERATOR_DEFAULTS.resyncPeriodMs;
  if (resyncPeriodMs > 0) spec.resyncPeriodMs = resyncPeriodMs;
  const statusCondition = statusConditionOf(config);
  if (statusCondition) spec.statusCondition = statusCondition;
  return spec;
}

/**
 * The condition showing each sync's outcome: the operator's choice, else the default for a parent
 * declared with `@CustomResource` (the CRD `tsoperator manifests` generates keeps `status.conditions`
 * and has a status subresource), else none.
 */
function statusConditionOf(config: OperatorConfig): string | undefined {
  if (config.statusCondition !== undefined) return config.statusCondition || undefined;
  return customResourceOf(config.parentClass) ? OPERATOR_DEFAULTS.statusCondition : undefined;
}

function inClusterNamespace(): string | undefined {
  return process.env.POD_NAMESPACE || undefined;
}

/** The elector's settings from the run options: Lease namespace and name defaults, seconds to ms. */
function leaderElectionOf(options: LeaderElectionOptions, compiled: CompiledOperator<unknown>[], logger: Logger) {
  const namespace = options.namespace ?? inClusterNamespace();
  if (!namespace) {
    logger.warn(
      'leader election: no Lease namespace given and POD_NAMESPACE is not set; using "default" ' +
        "(a generated Role does not cover it: set POD_NAMESPACE or leaderElection.namespace / --lease-namespace)",
    );
  }
  return {
    namespace: namespace ?? "default",
    name: options.name ?? `${compiled.map((c) => c.config.name).join("-")}-leader`,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.leaseDurationSeconds ? { leaseDurationMs: options.leaseDurationSeconds * 1000 } : {}),
    ...(options.renewDeadlineSeconds ? { renewDeadlineMs: options.renewDeadlineSeconds * 1000 } : {}),
    ...(options.retryPeriodSeconds ? { retryPeriodMs: options.retryPeriodSeconds * 1000 } : {}),
  };
}

function installSignalHandlers(runtime: OperatorRuntime, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`received ${signal}; draining in-flight syncs`);
    void runtime.stop();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  void runtime.done.then(() => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  });
}

/**
 * A child of the user's container that also holds what the runtime lends to operators and their
 * services (`KubeConfig`, `Metrics`, `OperatorEvents` by type, the logger by `TSOPERATOR_LOGGER`).
 * A child, so that two runtimes in one process (tests) never see each other's.
 */
function injectablesContainer(
  parent: DependencyContainer,
  lent: { cluster: ClusterConfig; logger: Logger; metrics: Metrics; operatorEvents: OperatorEvents },
): DependencyContainer {
  const child = parent.createChildContainer();
  // The runtime's own KubeConfig however it is asked for, unless the user registered one (kubeconfig-token.ts).
  lendKubeConfigOnResolve(child, () => lent.cluster.toKubeConfig());
  child.registerInstance(Metrics, lent.metrics);
  child.registerInstance(OperatorEvents, lent.operatorEvents);
  child.registerInstance(TSOPERATOR_LOGGER, lent.logger);
  return child;
}

/** Starts the health server; `undefined` when the default port is taken (logged). */
async function startHealthServer(
  health: HealthServer,
  port: number,
  isDefault: boolean,
  host: string | undefined,
  logger: Logger,
): Promise<number | undefined> {
  try {
    return await health.start(port, host);
  } catch (error) {
    if (!isDefault || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    logger.warn(
      `port ${port} (the default of healthPort) is taken: serving no /metrics, /health, /healthz and /readyz; ` +
        "set healthPort (0 picks a free port) or healthPort: false",
    );
    return undefined;
  }
}
