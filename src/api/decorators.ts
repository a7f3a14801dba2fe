/**
 * `@Operator`, `@Sync` and `@Finalize`. They only record metadata (in a WeakMap, nothing global
 * to reset); `compileOperator` reads it back once, at start-up.
 */
import type { BackoffConfig } from "../core/backoff.js";
import type { PolicyRule } from "./operator-config.js";
import type { IndexDefinition, RelatedOptions } from "./related.js";
import type { TypeRef } from "../core/type-ref.js";
import type { UpdateStrategy } from "../core/update-strategy.js";

/** One child type in `@Operator({ children })`. */
export interface ChildOptions {
  /** A client-node model class (V1Pod), a @KubernetesType class or a K8sType. */
  readonly type: TypeRef;
  /** Default: UpdateStrategy.Apply. */
  readonly update?: UpdateStrategy;
  /**
   * Take over a same-named object that exists and that no one controls (no controller
   * ownerReference) instead of failing the sync with a ChildConflict. Default false.
   */
  readonly adopt?: boolean;
}

/** Options of `@Operator`; everything but name and parent may be left out. */
export interface OperatorOptions {
  /** DNS-1123 label, e.g. "echo-server"; the field manager and finalizer derive from it. */
  readonly name: string;
  /** The watched type: a @KubernetesType class, a model class or a K8sType. */
  readonly parent: TypeRef;
  readonly children?: readonly ChildOptions[];
  /** Watch and manage only this namespace. */
  readonly namespace?: string;
  /** Watch and manage only these namespaces (one list+watch each, never cluster-wide). */
  readonly namespaces?: readonly string[];
  /** Watch and manage only the parents this label selector matches, e.g. `"shard=a"`. */
  readonly labelSelector?: string;
  /** Parents synced in parallel at most (default 8). */
  readonly concurrency?: number;
  /** A handler call is abandoned after this many ms (default 60000). */
  readonly handlerTimeoutMs?: number;
  /** Sync every parent at least this often (ms); default 10 h (`OPERATOR_DEFAULTS.resyncPeriodMs`); 0: only on events. */
  readonly resyncPeriodMs?: number;
  /** Per-parent retry delays after failures (default: 500 ms, x1.5, +-50 %, 600 s). */
  readonly backoff?: Partial<BackoffConfig>;
  /** Domain-qualified finalizer name (default `tsoperator.dev/<name>`); used only with @Finalize. */
  readonly finalizerName?: string;
  /** The label tying children to their parent's uid (default `tsoperator.dev/parent-uid`). */
  readonly trackingLabel?: string;
  /** Server-side apply field manager (default: the name). */
  readonly fieldManager?: string;
  /**
   * The condition in `status.conditions` showing each sync's outcome; `false`: none. Default:
   * `"Synced"` for a `@CustomResource` parent, none otherwise (see `OperatorConfig.statusCondition`).
   */
  readonly statusCondition?: string | false;
  /** Extra RBAC rules for the handler's own API calls, added by `tsoperator manifests`. */
  readonly rbac?: readonly PolicyRule[];
  /** Types the handler reads but never writes, selected per parent into `req.related` (see `RelatedOptions`). */
  readonly related?: readonly RelatedOptions[];
  /** User-facing indexes (made with `index(type, name, keys)`), read with `req.lookup`. */
  readonly indexes?: readonly IndexDefinition[];
}

/** A method marked with `@Sync()` or `@Finalize()`. */
export interface MarkedMethod {
  readonly key: string | symbol;
  /** true when the decorator sits on a static method (an error: handlers are instance methods). */
  readonly isStatic: boolean;
}

/** What the decorators recorded on one class (its own, not inherited); read only by `compileOperator`. */
type Recorded = { options?: OperatorOptions; readonly syncMethods: MarkedMethod[]; readonly finalizeMethods: MarkedMethod[] };

const metadataByClass = new WeakMap<Function, Recorded>();

function own(cls: Function): Recorded {
  let m = metadataByClass.get(cls);
  if (!m) {
    m = { syncMethods: [], finalizeMethods: [] };
    metadataByClass.set(cls, m);
  }
  return m;
}

/**
 * Declares a class as an operator. Its constructor parameters are injected by the resolver the
 * operator runs with (tsyringe by default, Nest's injector in `tsoperator/nest`), from the
 * `design:paramtypes` metadata TypeScript emits for a decorated class (`emitDecoratorMetadata`).
 *
 * ```ts
 * @Operator({ name: "echo-server", parent: EchoServer, children: [{ type: K8sTypes.Pod, update: UpdateStrategy.Recreate }] })
 * class EchoServerOperator { constructor(private readonly images: ImageCatalog) {} ... }
 * ```
 */
export function Operator(options: OperatorOptions): ClassDecorator {
  return (target) => {
    own(target).options = options;
  };
}

function marker(list: "syncMethods" | "finalizeMethods"): MethodDecorator {
  return (target, key) => {
    const isStatic = typeof target === "function";
    const cls = isStatic ? (target as Function) : (target as object).constructor;
    own(cls)[list].push({ key, isStatic });
  };
}

/** Marks the method that computes the desired state: `(req: SyncRequest<P>) => SyncResponse | Promise<SyncResponse>`. */
export function Sync(): MethodDecorator {
  return marker("syncMethods");
}

/**
 * Marks the cleanup method run before a parent is deleted:
 * `(req: SyncRequest<P>) => FinalizeResponse | Promise<FinalizeResponse>`. Its presence adds a finalizer.
 */
export function Finalize(): MethodDecorator {
  return marker("finalizeMethods");
}

/**
 * The metadata of a class merged with its base classes': the nearest `@Operator` options, and
 * the marked methods of the nearest class that has any (a subclass overrides its base's handlers).
 */
export function operatorMetadataOf(cls: Function): Recorded {
  let options: OperatorOptions | undefined;
  let syncMethods: MarkedMethod[] | undefined;
  let finalizeMethods: MarkedMethod[] | undefined;
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const m = metadataByClass.get(c);
    if (!m) continue;
    options ??= m.options;
    if (!syncMethods && m.syncMethods.length > 0) syncMethods = m.syncMethods;
    if (!finalizeMethods && m.finalizeMethods.length > 0) finalizeMethods = m.finalizeMethods;
  }
  return { options, syncMethods: syncMethods ?? [], finalizeMethods: finalizeMethods ?? [] };
}

/** true when the class (or a base class) carries `@Operator`. */
export function isOperatorClass(value: unknown): value is Function {
  return typeof value === "function" && operatorMetadataOf(value).options !== undefined;
}
