/**
 * Where operator instances come from. `InstanceResolver` is the seam (tsyringe by default, Nest's
 * injector through `tsoperator/nest`); the DI binding of an operator class happens here, when it
 * is resolved, so that api/'s decorators only record metadata and never call a container.
 */
import "reflect-metadata";
import { container as globalContainer, injectable, type DependencyContainer } from "tsyringe";

/**
 * Supplies operator instances. The runtime asks it once per operator class at start-up, so the
 * class's constructor dependencies come from whatever container the application uses: tsyringe by
 * default, Nest's injector through `tsoperator/nest`, or anything else implementing this.
 */
export interface InstanceResolver {
  /** An instance of `cls`, with its dependencies injected. */
  resolve<T>(cls: abstract new (...args: never[]) => T): T | Promise<T>;
}

/** Operator classes already made known to tsyringe. */
const injectableClasses = new WeakSet<Function>();

/**
 * Makes tsyringe able to construct `cls`. tsyringe's `container.resolve` builds a class with
 * constructor parameters only from what `@injectable()` recorded (measured: without it, "TypeInfo
 * not known"), so the resolver records it here from the `design:paramtypes` metadata TypeScript
 * emits for any decorated class; `@Operator` itself stays free of tsyringe.
 */
function makeInjectable(cls: Function): void {
  if (injectableClasses.has(cls)) return;
  const paramTypes: unknown = Reflect.getMetadata("design:paramtypes", cls);
  if (cls.length > 0 && paramTypes === undefined) {
    throw new TypeError(
      `class ${cls.name || "(anonymous)"} has constructor parameters but no type metadata to inject them from: ` +
        `set "emitDecoratorMetadata": true (and "experimentalDecorators": true) in tsconfig.json and import "reflect-metadata" ` +
        `(or "tsoperator") before the class is defined`,
    );
  }
  injectable()(cls as new (...args: unknown[]) => unknown);
  injectableClasses.add(cls);
}

/** A resolver backed by a tsyringe container; `container` lets the runtime add what it lends (a child of it). */
export interface TsyringeResolver extends InstanceResolver {
  /** The container instances come from. */
  readonly container: DependencyContainer;
}

/** True for a resolver made by {@link tsyringeResolver}. */
export function isTsyringeResolver(resolver: InstanceResolver): resolver is TsyringeResolver {
  return typeof (resolver as Partial<TsyringeResolver>).container?.createChildContainer === "function";
}

/**
 * A resolver backed by a tsyringe container (the global one unless given). Operator classes need
 * no `@injectable()`: their constructor parameters resolve from the emitted type metadata.
 *
 * ```ts
 * const container = rootContainer.createChildContainer();
 * container.register(ImageCatalog, { useValue: new ImageCatalog("registry.local") });
 * await runOperators([EchoServerOperator], { resolver: tsyringeResolver(container) });
 * ```
 */
export function tsyringeResolver(container: DependencyContainer = globalContainer): TsyringeResolver {
  return {
    container,
    resolve<T>(cls: abstract new (...args: never[]) => T): T {
      makeInjectable(cls);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return container.resolve(cls as unknown as new (...args: any[]) => T);
    },
  };
}
