// docs/examples/dependency-injection.ts — constructor injection with tsyringe (the default).
import "reflect-metadata";
import { container as rootContainer, injectable } from "tsyringe";
import { K8sType, K8sTypes, Operator, Sync, SyncResponse, runOperators, tsyringeResolver, type SyncRequest } from "tsoperator";

@injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

@Operator({
  name: "stamp",
  parent: K8sType.of("example.com/v1", "Stamp", { plural: "stamps", namespaced: true }),
  children: [{ type: K8sTypes.ConfigMap }],
})
export class StampOperator {
  constructor(private readonly clock: Clock) {} // resolved from the container, once, at start-up

  @Sync()
  sync(req: SyncRequest): SyncResponse {
    return SyncResponse.of({ lastSeen: this.clock.now().toISOString() }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: req.raw.metadata!.name! },
      data: { stamped: "yes" },
    });
  }
}

export async function main(): Promise<void> {
  // A child container: register another Clock here (a fake in tests) without touching the global one.
  const container = rootContainer.createChildContainer();
  container.register(Clock, { useValue: new Clock() });
  const runtime = await runOperators([StampOperator], { resolver: tsyringeResolver(container) });
  await runtime.done;
}
