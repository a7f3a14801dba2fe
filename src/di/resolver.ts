import "reflect-metadata";
import { container as globalContainer, type DependencyContainer } from "tsyringe";

/**
 * Supplies operator instances. The runtime asks it once per operator class at start-up, so the
 * class's constructor dependencies come from whatever container the application uses: tsyringe by
 * default, Nest's injector through `tsoperator/nest`, or anything else implementing this.
 */
export interface InstanceResolver {
  /** An instance of `cls`, with its dependencies injected. */
  resolve<T>(cls: abstract new (...args: never[]) => T): T | Promise<T>;
}

/**
 * A resolver backed by a tsyringe container (the global one unless given). `@Operator` makes
 * classes injectable, so their constructor parameters resolve from the emitted type metadata.
 *
 * ```ts
 * const container = rootContainer.createChildContainer();
 * container.register(ImageCatalog, { useValue: new ImageCatalog("registry.local") });
 * await runOperators([EchoServerOperator], { resolver: tsyringeResolver(container) });
 * ```
 */
export function tsyringeResolver(container: DependencyContainer = globalContainer): InstanceResolver {
  return {
    resolve<T>(cls: abstract new (...args: never[]) => T): T {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return container.resolve(cls as unknown as new (...args: any[]) => T);
    },
  };
}
