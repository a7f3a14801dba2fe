import { Operator, Sync, SyncResponse, type SyncRequest, KubernetesType } from "tsoperator";
import { GreetingService } from "./greeting.service.cjs";

/** The Greeting custom resource (samples/greeting/crd.yaml installs it). */
@KubernetesType({ apiVersion: "samples.tsoperator.dev/v1", kind: "Greeting", plural: "greetings", namespaced: true })
export class Greeting {
  metadata!: { name?: string; namespace?: string };
  spec!: { name: string; language?: string };
}

/** Greeting → ConfigMap `<name>-nest-greeting`, its text made by the injected GreetingService. */
@Operator({ name: "nest-greeting", parent: Greeting, children: [{ type: { apiVersion: "v1", kind: "ConfigMap" } }] })
export class GreetingOperator {
  static instances = 0;

  constructor(private readonly greetings: GreetingService) {
    GreetingOperator.instances++;
  }

  @Sync()
  sync(req: SyncRequest<Greeting>): SyncResponse {
    const text = this.greetings.greet(req.parent.spec.name, req.parent.spec.language);
    this.greetings.announce(req.parent, text);
    return SyncResponse.of({ text }).withChild({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${req.parent.metadata.name}-nest-greeting` },
      data: { text },
    });
  }
}
