/** Registering prom-client metrics into a registry that may already hold them. */
import type { Metric, Registry } from "prom-client";

/**
 * Returns the metric of that name already in the registry (a second runtime sharing a
 * user-supplied registry), or registers a new one: prom-client throws on a duplicate name.
 */
export function reuseOrCreate<M extends Metric<string>>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
