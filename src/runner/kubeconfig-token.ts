/**
 * The injectable `KubeConfig` without loading client-node for operators that never ask for it.
 * tsyringe needs the class itself as the token, and importing client-node's `KubeConfig` costs
 * ~75 MB of RSS (bench/README.md "Base RSS"), so the runtime never names it: code that asks for a
 * `KubeConfig` (a constructor parameter, a token's provider, `container.resolve(KubeConfig)` in a
 * handler) has loaded client-node itself, and the class is recognised when it is resolved (by name
 * and shape). It resolves to the runtime's configuration as a client-node `KubeConfig`, made on
 * first use, instead of the empty one tsyringe would build with `new KubeConfig()` (which fails
 * later with "No active cluster").
 */
import "reflect-metadata";
import type { DependencyContainer } from "tsyringe";

/** True for client-node's `KubeConfig` class (known by name and shape, never imported here). */
function isKubeConfigClass(value: unknown): value is new () => object {
  return (
    typeof value === "function" &&
    value.name === "KubeConfig" &&
    typeof (value.prototype as { loadFromDefault?: unknown } | undefined)?.loadFromDefault === "function"
  );
}

/** The makers of the running runtimes that lend through a container, newest last. */
const KUBECONFIG_LENDERS = Symbol.for("tsoperator.kubeConfigLenders");

/**
 * Makes `container` resolve client-node's `KubeConfig` class, however it is asked for (by a class's
 * constructor, by a token's provider, or `container.resolve(KubeConfig)`), to `make()` while the
 * returned `unlend` has not been called and nothing registered that class in the container or its
 * parents (a registration of the user's wins): tsyringe builds an unregistered class with `new`,
 * which for `KubeConfig` is an empty kubeconfig. tsyringe resolves constructor parameters through
 * the container's own `resolve`, so wrapping it covers nested resolutions.
 *
 * Nothing is registered: with several runtimes in one process (tests) lending through one
 * container, the newest running one lends, and a stopped runtime's configuration is never handed
 * out again.
 */
export function lendKubeConfigOnResolve(container: DependencyContainer, make: () => object): () => void {
  const holder = container as DependencyContainer & { [KUBECONFIG_LENDERS]?: Array<() => object> };
  let lenders = holder[KUBECONFIG_LENDERS];
  if (!lenders) {
    const active: Array<() => object> = (lenders = holder[KUBECONFIG_LENDERS] = []);
    const resolve = container.resolve.bind(container) as (token: unknown, ...rest: unknown[]) => unknown;
    const lending = (token: unknown, ...rest: unknown[]): unknown => {
      const newest = active.at(-1);
      if (newest && isKubeConfigClass(token) && !container.isRegistered(token, true)) return newest();
      return resolve(token, ...rest);
    };
    container.resolve = lending as DependencyContainer["resolve"];
  }
  const mine = (): object => make();
  lenders.push(mine);
  return () => {
    const i = lenders.indexOf(mine);
    if (i >= 0) lenders.splice(i, 1);
  };
}
