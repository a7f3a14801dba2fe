/**
 * The injectable `KubeConfig` without loading client-node for operators that never ask for it.
 * tsyringe needs the class itself as the token, and importing client-node's `KubeConfig` costs
 * ~75 MB of RSS (bench/README.md "Base RSS"). An operator (or a service it injects) that asks for
 * a `KubeConfig` names the class in its constructor's `design:paramtypes`, so its code has loaded
 * client-node already: the class is found there (or on the `KubeConfig` the user passed), and the
 * token resolves to the runtime's configuration as a client-node `KubeConfig`, made on first use.
 *
 * A class no constructor names (a service registered under a string token, `delay()`, a
 * `container.resolve(KubeConfig)` in a handler) is not in any metadata at start-up: tsyringe would
 * build it with `new KubeConfig()`, an empty kubeconfig that fails later with "No active cluster".
 * `lendKubeConfigOnResolve` closes that: the container registers the runtime's configuration the
 * first time such a class is resolved through it.
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

/**
 * client-node's `KubeConfig` class when the process uses it: the class of `given` (a `KubeConfig`
 * the user passed), else one named in the constructor parameters of `roots` or of the classes they
 * inject, transitively. Undefined when nothing asks for it.
 */
export function findKubeConfigClass(roots: readonly unknown[], given?: unknown): (new () => object) | undefined {
  const ctor = (given as { constructor?: unknown } | undefined)?.constructor;
  if (isKubeConfigClass(ctor)) return ctor;
  const seen = new Set<unknown>();
  const queue = roots.filter((r) => typeof r === "function");
  while (queue.length > 0) {
    const cls = queue.shift() as object;
    if (seen.has(cls)) continue;
    seen.add(cls);
    const params = (Reflect.getMetadata("design:paramtypes", cls) as unknown[] | undefined) ?? [];
    for (const param of params) {
      if (isKubeConfigClass(param)) return param;
      if (typeof param === "function" && !seen.has(param)) queue.push(param);
    }
  }
  return undefined;
}

/** Marks a container whose `resolve` already lends the runtime's KubeConfig (the first runtime's wins, as a registration would). */
const LENDS_KUBECONFIG = Symbol.for("tsoperator.lendsKubeConfig");

/**
 * Makes `container` resolve client-node's `KubeConfig` class, however it is asked for (by a class's
 * constructor, by a token's provider, or `container.resolve(KubeConfig)`), to `make()` when nothing
 * registered that class in it: tsyringe builds an unregistered class with `new`, which for
 * `KubeConfig` is an empty kubeconfig. tsyringe resolves constructor parameters through the
 * container's own `resolve`, so wrapping it covers nested resolutions. Once per container.
 */
export function lendKubeConfigOnResolve(container: DependencyContainer, make: () => object): void {
  const marked = container as DependencyContainer & { [LENDS_KUBECONFIG]?: true };
  if (marked[LENDS_KUBECONFIG]) return;
  marked[LENDS_KUBECONFIG] = true;
  const resolve = container.resolve.bind(container) as (token: unknown, ...rest: unknown[]) => unknown;
  const lending = (token: unknown, ...rest: unknown[]): unknown => {
    if (isKubeConfigClass(token) && !container.isRegistered(token, true)) container.register(token, { useFactory: make });
    return resolve(token, ...rest);
  };
  container.resolve = lending as DependencyContainer["resolve"];
}
