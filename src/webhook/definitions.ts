/**
 * The webhooks a process serves, declared two ways that compile to one thing: `@Validator` /
 * `@Defaulter` on a class that DI constructs (the decorators only record metadata), or
 * `defineValidator` / `defineDefaulter` / `defineConversion` for users without decorators. Either
 * way `webhookSpecOf` reads the metadata (what `tsoperator manifests` and TestKit need: path,
 * type, operations, failure policy) and `resolveWebhook` builds the handler once, at start-up.
 */
import type { InstanceResolver } from "../di/resolver.js";
import type { K8sType } from "../core/k8s-type.js";
import type { KubeObject } from "../core/kube-object.js";
import { describeTypeRef, resolveTypeRef, type TypeRef } from "../core/type-ref.js";
import type { AdmissionContext, AdmissionOperation, CustomDefaulter, CustomValidator, FailurePolicy } from "./admission.js";

/** Options of an admission webhook (`@Validator`, `@Defaulter`, `defineValidator`, `defineDefaulter`). */
export interface AdmissionWebhookOptions {
  /** The type admitted: a `@CustomResource` class, a client-node model class (V1ConfigMap) or a K8sType. */
  readonly type: TypeRef;
  /**
   * The webhook's name in its configuration (a domain of at least three segments).
   * Default `v<kind>-<version>.<group>` (validating) / `m<kind>-<version>.<group>` (mutating).
   */
  readonly name?: string;
  /** The URL path served. Default `/validate-<group>-<version>-<kind>` / `/mutate-<group>-<version>-<kind>`. */
  readonly path?: string;
  /**
   * Operations to register for. Default: a validator's operations with a method (validateCreate →
   * CREATE, ...); a defaulter's CREATE and UPDATE.
   */
  readonly operations?: readonly AdmissionOperation[];
  /** What the API server does when the webhook cannot answer. Default "Fail" (nothing unchecked is stored). */
  readonly failurePolicy?: FailurePolicy;
  /** How long the API server waits for an answer (1-30 s). Default 10. */
  readonly timeoutSeconds?: number;
}

/** Conversion of one custom resource between its versions, through a hub version. */
export interface ConversionOptions {
  /** The custom resource (its class, any version of it, or a K8sType). */
  readonly type: TypeRef;
  /** The hub version, e.g. "v2": every conversion goes through it. */
  readonly hub: string;
  /**
   * For every other version: how to turn an object of it into the hub version and back. The
   * functions get a copy (wire JSON) and return the converted object; the framework sets its
   * apiVersion and kind and keeps the metadata of the input (the API server allows nothing else).
   */
  readonly spokes: Readonly<Record<string, SpokeConversion>>;
}

/** How one version converts to and from the hub. */
export interface SpokeConversion {
  toHub(obj: KubeObject): KubeObject;
  fromHub(hub: KubeObject): KubeObject;
}

/** What a webhook declaration says, as data: everything but the handler. */
export type WebhookSpec = AdmissionWebhookSpec | ConversionWebhookSpec;

/** An admission webhook, as data. */
export interface AdmissionWebhookSpec {
  readonly kind: "validating" | "mutating";
  readonly name: string;
  readonly path: string;
  readonly type: K8sType;
  readonly operations: readonly AdmissionOperation[];
  readonly failurePolicy: FailurePolicy;
  readonly timeoutSeconds: number;
}

/** A conversion webhook, as data. */
export interface ConversionWebhookSpec {
  readonly kind: "conversion";
  /** Every conversion is served on one path (as in controller-runtime). */
  readonly path: "/convert";
  readonly type: K8sType;
  readonly hub: string;
  /** The hub and every spoke: the versions this webhook converts between. */
  readonly versions: readonly string[];
}

/** The path every conversion is served on. */
export const CONVERSION_PATH = "/convert";

/** The function a validating webhook runs (the plain form of {@link CustomValidator}). */
export type ValidatorFunctions<T = KubeObject> = CustomValidator<T>;

/** The function a mutating webhook runs: returns the defaulted object (or changes `obj` and returns nothing). */
export type DefaulterFunction<T = KubeObject> = (obj: T, context: AdmissionContext) => T | undefined | void | Promise<T | undefined | void>;

const DEFINITION = Symbol.for("tsoperator.webhookDefinition");

/** What `defineValidator`, `defineDefaulter` and `defineConversion` return; pass it in `RunOptions.webhooks`. */
export interface WebhookDefinition {
  readonly [DEFINITION]: true;
  readonly spec: WebhookSpec;
  /** The handler object: a validator, a defaulter, or the conversion options. */
  readonly handler: CustomValidator<KubeObject> | CustomDefaulter<KubeObject> | ConversionOptions;
}

/** A webhook as users pass it: a class decorated with `@Validator` / `@Defaulter`, or a definition. */
export type WebhookInput = Function | WebhookDefinition;

const classOptions = new WeakMap<Function, { kind: "validating" | "mutating"; options: AdmissionWebhookOptions }>();

/**
 * Declares a class as the validating webhook of a type. Its constructor parameters are injected
 * (like an operator's); it implements any of `validateCreate`, `validateUpdate`, `validateDelete`.
 *
 * ```ts
 * @Validator({ type: EchoServer })
 * class EchoServerValidator implements CustomValidator<EchoServer> {
 *   validateCreate(obj: EchoServer) {
 *     return obj.spec.message.length > 0 ? allowed() : denied("spec.message must not be empty");
 *   }
 * }
 * ```
 */
export function Validator(options: AdmissionWebhookOptions): ClassDecorator {
  resolveTypeRef(options.type); // fail at import, naming the type, not at start-up
  return (target) => {
    classOptions.set(target, { kind: "validating", options });
  };
}

/**
 * Declares a class as the defaulting (mutating) webhook of a type: its `default(obj)` returns the
 * defaulted object; the framework answers with the JSON patch.
 *
 * ```ts
 * @Defaulter({ type: EchoServer })
 * class EchoServerDefaulter implements CustomDefaulter<EchoServer> {
 *   default(obj: EchoServer) { obj.spec.replicas ??= 1; return obj; }
 * }
 * ```
 */
export function Defaulter(options: AdmissionWebhookOptions): ClassDecorator {
  resolveTypeRef(options.type);
  return (target) => {
    classOptions.set(target, { kind: "mutating", options });
  };
}

/** The validating webhook of a type, without decorators. */
export function defineValidator<T = KubeObject>(options: AdmissionWebhookOptions, validator: ValidatorFunctions<T>): WebhookDefinition {
  const v = validator as CustomValidator<KubeObject>;
  return definition(admissionSpec("validating", options, v), v);
}

/** The defaulting (mutating) webhook of a type, without decorators. */
export function defineDefaulter<T = KubeObject>(options: AdmissionWebhookOptions, defaulter: DefaulterFunction<T>): WebhookDefinition {
  const d: CustomDefaulter<KubeObject> = { default: defaulter as unknown as DefaulterFunction<KubeObject> };
  return definition(admissionSpec("mutating", options), d);
}

/**
 * The conversion webhook of a custom resource served in several versions (declare them with
 * `versions` in `@CustomResource`).
 *
 * ```ts
 * export const widgetConversion = defineConversion({
 *   type: Widget, hub: "v2",
 *   spokes: { v1: { toHub: (o) => ({ ...o, spec: { size: o.spec.replicas } }), fromHub: (h) => ({ ...h, spec: { replicas: h.spec.size } }) } },
 * });
 * ```
 */
export function defineConversion(options: ConversionOptions): WebhookDefinition {
  const { type } = resolveTypeRef(options.type);
  if (options.spokes[options.hub])
    throw new TypeError(`defineConversion(${type.kind}): the hub version ${options.hub} cannot also be a spoke`);
  const versions = [options.hub, ...Object.keys(options.spokes)];
  return definition({ kind: "conversion", path: CONVERSION_PATH, type, hub: options.hub, versions }, options);
}

function definition(spec: WebhookSpec, handler: WebhookDefinition["handler"]): WebhookDefinition {
  return Object.freeze({ [DEFINITION]: true as const, spec, handler });
}

/** true for what `defineValidator` / `defineDefaulter` / `defineConversion` return. */
export function isWebhookDefinition(value: unknown): value is WebhookDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DEFINITION] === true;
}

/** true for a class decorated with `@Validator` or `@Defaulter` (or a subclass of one). */
export function isWebhookClass(value: unknown): value is Function {
  return typeof value === "function" && classMetadataOf(value) !== undefined;
}

/** true for anything `RunOptions.webhooks` accepts. */
export function isWebhookInput(value: unknown): value is WebhookInput {
  return isWebhookDefinition(value) || isWebhookClass(value);
}

function classMetadataOf(cls: Function) {
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const m = classOptions.get(c as Function);
    if (m) return m;
  }
  return undefined;
}

/** The three-segment default name and the kubebuilder-style default path of an admission webhook. */
function admissionSpec(
  kind: "validating" | "mutating",
  options: AdmissionWebhookOptions,
  validator?: CustomValidator<KubeObject>,
): AdmissionWebhookSpec {
  const { type } = resolveTypeRef(options.type);
  const letter = kind === "validating" ? "v" : "m";
  const kindLower = type.kind.toLowerCase();
  let name = options.name ?? `${letter}${kindLower}-${type.version}.${type.group || "core"}`;
  if (!options.name && name.split(".").length < 3) name = `${name}.tsoperator.dev`;
  const path =
    options.path ??
    `/${kind === "validating" ? "validate" : "mutate"}-${(type.group || "core").replace(/\./g, "-")}-${type.version}-${kindLower}`;
  const operations =
    options.operations ??
    (kind === "mutating"
      ? (["CREATE", "UPDATE"] as const)
      : ([
          ...(validator?.validateCreate ? ["CREATE" as const] : []),
          ...(validator?.validateUpdate ? ["UPDATE" as const] : []),
          ...(validator?.validateDelete ? ["DELETE" as const] : []),
        ] as AdmissionOperation[]));
  if (operations.length === 0) {
    throw new TypeError(`the validator of ${type} has no validateCreate, validateUpdate or validateDelete: nothing to register`);
  }
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  if (!(timeoutSeconds >= 1 && timeoutSeconds <= 30))
    throw new TypeError(`webhook ${name}: timeoutSeconds must be 1-30 (got ${timeoutSeconds})`);
  if (!path.startsWith("/")) throw new TypeError(`webhook ${name}: path must start with "/" (got ${path})`);
  return { kind, name, path, type, operations: [...operations], failurePolicy: options.failurePolicy ?? "Fail", timeoutSeconds };
}

/** The spec of a webhook input (no instance is made). Throws a TypeError naming the fix for anything else. */
export function webhookSpecOf(input: WebhookInput): WebhookSpec {
  if (isWebhookDefinition(input)) return input.spec;
  const m = typeof input === "function" ? classMetadataOf(input) : undefined;
  if (!m) {
    throw new TypeError(
      `${describeTypeRef(input)} is not a webhook: decorate the class with @Validator({ type }) or @Defaulter({ type }), ` +
        "or pass what defineValidator / defineDefaulter / defineConversion return",
    );
  }
  return admissionSpec(m.kind, m.options, m.kind === "validating" ? (input as Function).prototype : undefined);
}

/** A webhook ready to serve: its spec and its handler object (a class instance from the resolver). */
export interface ResolvedWebhook {
  readonly spec: WebhookSpec;
  readonly handler: WebhookDefinition["handler"];
}

/** Builds the handler of a webhook input (a decorated class is constructed by the resolver, with DI). */
export async function resolveWebhook(input: WebhookInput, resolver: InstanceResolver): Promise<ResolvedWebhook> {
  const spec = webhookSpecOf(input);
  if (isWebhookDefinition(input)) return { spec, handler: input.handler };
  const instance = (await resolver.resolve(input as abstract new () => unknown)) as WebhookDefinition["handler"];
  if (spec.kind === "mutating" && typeof (instance as CustomDefaulter).default !== "function") {
    throw new TypeError(`${describeTypeRef(input)} is a @Defaulter but has no default(obj) method`);
  }
  return { spec, handler: instance };
}

/** Specs of several inputs, checked: two webhooks on one path are an error. */
export function webhookSpecsOf(inputs: readonly WebhookInput[]): WebhookSpec[] {
  const specs = inputs.map(webhookSpecOf);
  const byPath = new Map<string, AdmissionWebhookSpec>();
  for (const spec of specs) {
    if (spec.kind === "conversion") continue;
    const other = byPath.get(spec.path);
    if (other) throw new TypeError(`two webhooks are served on ${spec.path} (${other.name} and ${spec.name}): give one a path and a name`);
    byPath.set(spec.path, spec);
  }
  return specs;
}
