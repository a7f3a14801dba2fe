/**
 * Operator definitions and their compilation. A user declares an operator as a class decorated
 * with `@Operator`, or as an `OperatorDefinition` (a config plus a handler, what `defineOperator`
 * returns); every entry point (runOperators, TestKit, the Nest module, the CLI) takes either and
 * turns it, through `compileOperator` alone, into what the runtime consumes: a validated
 * `OperatorConfig` and a factory for the handler.
 */
import type { InstanceResolver } from "../di/resolver.js";
import type { KubeObject } from "../core/kube-object.js";
import { isOperatorClass, operatorMetadataOf, type MarkedMethod } from "./decorators.js";
import { OperatorDefinitionError } from "../core/errors.js";
import { normalizeHandler, type Handler, type HandlerLike } from "./handler.js";
import type { Constructor } from "../core/k8s-type.js";
import { OperatorConfig } from "./operator-config.js";
import { FinalizeResponse, SyncResponse } from "./responses.js";
import { ChildConfig } from "../core/update-strategy.js";

/**
 * An operator declared without decorators (roperator style): its config and its handler. Made by
 * `defineOperator(config, handler)`, which validates both at once; a literal `{ config, handler }`
 * is accepted too and validated when it is compiled.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface OperatorDefinition<P = any> {
  readonly config: OperatorConfig;
  readonly handler: HandlerLike<P>;
}

/** One operator, as every entry point accepts it: a class decorated with `@Operator`, or an `OperatorDefinition`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperatorInput = (abstract new (...args: any[]) => unknown) | OperatorDefinition;

/** true for an `OperatorDefinition`: `{ config: OperatorConfig, handler }`. */
export function isOperatorDefinition(value: unknown): value is OperatorDefinition {
  if (typeof value !== "object" || value === null) return false;
  return (value as { config?: unknown }).config instanceof OperatorConfig && "handler" in value;
}

/** true for anything `compileOperator` accepts: an `@Operator` class or an `OperatorDefinition`. */
export function isOperatorInput(value: unknown): value is OperatorInput {
  return isOperatorClass(value) || isOperatorDefinition(value);
}

/** Makes the handler of an operator; called once when the operator starts. */
export type HandlerFactory<P = KubeObject> = (resolver: InstanceResolver) => Promise<Handler<P>>;

/**
 * An operator compiled for the runtime (what `compileOperator` returns). Its handler's results
 * are already normalized: `sync` resolves to a `SyncResponse`, `finalize` (present only when the
 * finalizer is enabled) to a `FinalizeResponse`; anything else a user's method returns makes them
 * reject with `InvalidResponseError`.
 */
export interface CompiledOperator<P = KubeObject> {
  readonly config: OperatorConfig;
  readonly handlerFactory: HandlerFactory<P>;
  /** The decorated class, when compiled from one. */
  readonly operatorClass?: Constructor;
}

/** The handler with both results normalized to response classes. */
function normalizedResults<P>(handler: Handler<P>): Handler<P> {
  const { finalize } = handler;
  const sync = async (req: Parameters<Handler<P>["sync"]>[0]) => SyncResponse.from(await handler.sync(req));
  return finalize ? { sync, finalize: async (req) => FinalizeResponse.from(await finalize(req)) } : { sync };
}

function methodProblems(label: string, methods: readonly MarkedMethod[], required: boolean, proto: object): string[] {
  const problems: string[] = [];
  const names = methods.map((m) => String(m.key));
  if (required && methods.length === 0) {
    problems.push(`has no @Sync() method: mark the method that returns the desired state (a SyncResponse) with @Sync()`);
  }
  if (methods.length > 1) problems.push(`has ${methods.length} ${label} methods (${names.join(", ")}): keep exactly one`);
  for (const m of methods) {
    if (m.isStatic) problems.push(`${label} is on static method ${String(m.key)}: handlers must be instance methods`);
    else if (typeof (proto as Record<string | symbol, unknown>)[m.key] !== "function")
      problems.push(`${label} is on ${String(m.key)}, which is not a method`);
  }
  return problems;
}

/**
 * Compiles an operator: a class decorated with `@Operator` (and `@Sync`, optionally `@Finalize`)
 * or an `OperatorDefinition`. Throws `OperatorDefinitionError` listing every problem: no
 * `@Operator`, no `@Sync`, invalid options, an invalid config or handler.
 */
export function compileOperator<P = KubeObject>(input: OperatorInput | Constructor): CompiledOperator<P> {
  if (typeof input !== "function") {
    if (!isOperatorDefinition(input)) {
      throw new OperatorDefinitionError("operator", [
        `${describeValue(input)} is not an operator: pass a class decorated with @Operator, or defineOperator(config, handler)`,
      ]);
    }
    const checked = checkedDefinition<P>(input.config, input.handler as HandlerLike<P>);
    return Object.freeze({ config: checked.config, handlerFactory: async () => checked.handler });
  }
  return compileClass<P>(input as Constructor);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object" && "config" in value) return "an object whose config is not an OperatorConfig (or that has no handler)";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function compileClass<P>(cls: Constructor): CompiledOperator<P> {
  const subject = `operator class ${cls?.name || "(anonymous)"}`;
  if (!isOperatorClass(cls)) {
    throw new OperatorDefinitionError(subject, [
      `is not decorated with @Operator: add @Operator({ name, parent, children }) to the class, ` +
        `or build an OperatorConfig and call defineOperator(config, handler)`,
    ]);
  }
  const meta = operatorMetadataOf(cls);
  const options = meta.options!;
  const problems = [
    ...methodProblems("@Sync()", meta.syncMethods, true, cls.prototype),
    ...methodProblems("@Finalize()", meta.finalizeMethods, false, cls.prototype),
  ];

  let config: OperatorConfig | undefined;
  try {
    config = new OperatorConfig(options.name, options.parent);
  } catch (e) {
    problems.push(`parent: ${(e as Error).message}`);
  }
  (options.children ?? []).forEach((child, i) => {
    try {
      config = config?.withChild(child.type, ChildConfig.of(child.update, { adopt: child.adopt ?? false }));
    } catch (e) {
      problems.push(`children[${i}]: ${(e as Error).message}`);
    }
  });
  (options.related ?? []).forEach((related, i) => {
    try {
      const { type, ...rest } = related;
      config = config?.withRelated(type, rest);
    } catch (e) {
      problems.push(`related[${i}]: ${(e as Error).message}`);
    }
  });
  for (const definition of options.indexes ?? []) config = config?.withIndex(definition);
  const hasFinalize = meta.finalizeMethods.length > 0;
  if (options.finalizerName !== undefined && !hasFinalize) {
    problems.push(`finalizerName is set but no method has @Finalize(): add a @Finalize() method or remove finalizerName`);
  }
  if (config) {
    config = config
      .withinNamespace(options.namespace)
      .withinNamespaces(options.namespaces)
      .withLabelSelector(options.labelSelector)
      .withResyncPeriod(options.resyncPeriodMs)
      .withFinalizer(hasFinalize, options.finalizerName);
    if (options.concurrency !== undefined) config = config.withConcurrency(options.concurrency);
    if (options.handlerTimeoutMs !== undefined) config = config.withHandlerTimeout(options.handlerTimeoutMs);
    if (options.backoff !== undefined) config = config.withBackoff(options.backoff);
    if (options.fieldManager !== undefined) config = config.withFieldManager(options.fieldManager);
    if (options.trackingLabel !== undefined) config = config.withTrackingLabel(options.trackingLabel);
    if (options.statusCondition !== undefined) config = config.withStatusCondition(options.statusCondition);
    if (options.rbac !== undefined) {
      if (Array.isArray(options.rbac)) config = config.withRbac(options.rbac);
      else problems.push(`rbac must be an array of RBAC rules, e.g. [{ apiGroups: ["example.com"], resources: ["w"], verbs: ["delete"] }]`);
    }
    problems.push(...config.problems());
  }
  if (problems.length > 0 || !config) throw new OperatorDefinitionError(subject, problems);

  const syncKey = meta.syncMethods[0]!.key;
  const finalizeKey = meta.finalizeMethods[0]?.key;
  const handlerFactory: HandlerFactory<P> = async (resolver) => {
    const instance = (await resolver.resolve(cls as abstract new (...args: never[]) => object)) as Record<string | symbol, Function>;
    const handler: Handler<P> = { sync: (req) => instance[syncKey]!.call(instance, req) };
    if (finalizeKey !== undefined) handler.finalize = (req) => instance[finalizeKey]!.call(instance, req);
    return normalizedResults(handler);
  };
  return Object.freeze({ config, handlerFactory, operatorClass: cls });
}

/**
 * An operator without decorators (roperator style): a config and a handler object, a sync
 * function, or a `[sync, onError]` pair. The finalizer is enabled exactly when the handler has
 * `finalize`. Validates at once (throws `OperatorDefinitionError` for an invalid config or
 * handler) and returns the definition, which runOperators, TestKit, the Nest module and the CLI
 * accept wherever they accept an `@Operator` class.
 *
 * ```ts
 * export const operators = [defineOperator(new OperatorConfig("echo", EchoServer).withChild(V1Pod), (req) => SyncResponse.of())];
 * ```
 */
export function defineOperator<P = KubeObject>(config: OperatorConfig, handler: HandlerLike<P>): OperatorDefinition<P> {
  // Compiling it again later re-checks a valid definition: cheap, and the handler stays equivalent.
  return Object.freeze(checkedDefinition(config, handler));
}

/** The validated config (finalizer enabled exactly when the handler can finalize) and the normalized handler. */
function checkedDefinition<P>(config: OperatorConfig, handler: HandlerLike<P>): { config: OperatorConfig; handler: Handler<P> } {
  if (!(config instanceof OperatorConfig)) {
    throw new OperatorDefinitionError("operator", [
      "config must be an OperatorConfig: new OperatorConfig(name, parentType).withChild(...)",
    ]);
  }
  const normalized = normalizeHandler(handler, config.name);
  const hasFinalize = typeof normalized.finalize === "function";
  if (config.finalizeEnabled && !hasFinalize) {
    throw new OperatorDefinitionError(`operator "${config.name}"`, [
      "withFinalizer() is set but the handler has no finalize method: the finalizer would never be removed and parents could not be deleted; add finalize or drop withFinalizer()",
    ]);
  }
  const validated = (hasFinalize && !config.finalizeEnabled ? config.withFinalizer(true) : config).validate();
  return { config: validated, handler: normalizedResults(normalized) };
}
