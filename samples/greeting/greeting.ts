import "reflect-metadata";
import type { V1ConfigMap, V1ObjectMeta } from "@kubernetes/client-node";
import { injectable } from "tsyringe";
import { CustomResource, K8sTypes, Operator, Sync, SyncResponse, type SyncRequest } from "tsoperator";

/** A greeting to publish as a ConfigMap (its CRD, samples/greeting/crd.yaml, is `tsoperator manifests` output). */
@CustomResource({
  apiVersion: "samples.tsoperator.dev/v1",
  kind: "Greeting",
  schema: {
    spec: {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" }, language: { type: "string", default: "en" } },
    },
    status: { type: "object", properties: { text: { type: "string" } } },
  },
  printerColumns: [{ name: "Text", type: "string", jsonPath: ".status.text" }],
})
export class Greeting {
  apiVersion = "samples.tsoperator.dev/v1";
  kind = "Greeting";
  metadata!: V1ObjectMeta;
  spec!: { name: string; language?: string };
  status?: { text?: string };
}

/**
 * The user's own service: the operator receives it through its constructor. Swap it in tests
 * or per cluster by registering another instance in the container.
 */
@injectable()
export class GreetingService {
  private readonly phrases: Record<string, string> = { en: "Hello", fr: "Bonjour", de: "Hallo", es: "Hola" };

  /** "Hello, Ada!" — unknown languages fall back to English. */
  greet(name: string, language = "en"): string {
    return `${this.phrases[language] ?? this.phrases.en}, ${name}!`;
  }
}

/** Greeting → a ConfigMap `<name>-greeting` holding the text the injected service made. */
@Operator({ name: "greeting", parent: Greeting, children: [{ type: K8sTypes.ConfigMap }] })
export class GreetingOperator {
  constructor(private readonly greetings: GreetingService) {}

  @Sync()
  sync(req: SyncRequest<Greeting>): SyncResponse {
    const { name, language } = req.parent.spec;
    const text = this.greetings.greet(name, language);
    const configMap: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${req.parent.metadata.name}-greeting` },
      data: { text },
    };
    return SyncResponse.of({ text }).withChild(configMap);
  }
}
