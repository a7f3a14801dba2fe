/**
 * Points a local API server at webhooks served on this machine (TestKit, `tsoperator dev`):
 * Validating/MutatingWebhookConfigurations with the server's URL and CA, and the conversion stanza
 * on each converted CRD. Done before the webhook server starts, on a port chosen first: a restarted
 * operator must be able to list a converted type (its caches' first list needs the conversion
 * webhook, which must already point at the new server).
 */
import type { KubeObject } from "../core/kube-object.js";
import type { KubeClient } from "../kube/client.js";
import type { Discovery } from "../kube/discovery.js";
import { conversionStanzaFor, conversionsByCrd, webhookConfigurationsFor, type WebhookEndpoint } from "../manifests/webhooks.js";
import type { WebhookSpec } from "../webhook/definitions.js";

/** Options of {@link wireWebhooks}. */
export interface WebhookWiringOptions {
  /** Name of the configurations (suffixed `-validating` / `-mutating`). */
  readonly name: string;
  readonly endpoint: WebhookEndpoint;
  /** Send only objects of these namespaces (by the `kubernetes.io/metadata.name` label). */
  readonly namespaces?: readonly string[];
  readonly fieldManager?: string;
}

/** Applies the configurations and patches the converted CRDs; returns the configurations. */
export async function wireWebhooks(
  client: KubeClient,
  discovery: Discovery,
  specs: readonly WebhookSpec[],
  options: WebhookWiringOptions,
): Promise<KubeObject[]> {
  const configurations = webhookConfigurationsFor(specs, {
    name: options.name,
    endpoint: options.endpoint,
    ...(options.namespaces
      ? {
          namespaceSelector: {
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: [...options.namespaces] }],
          },
        }
      : {}),
  });
  const fieldManager = options.fieldManager ?? "tsoperator-testing";
  for (const config of configurations) {
    const type = await discovery.resolve(config.apiVersion!, config.kind!);
    await client.apply(type, config, { fieldManager, force: true });
  }
  const crdType = await discovery.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  for (const [crdName, spec] of conversionsByCrd(specs)) {
    // A JSON patch replaces the whole stanza: a merge patch would keep a generated `service` beside the new `url`.
    const patch = [{ op: "add", path: "/spec/conversion", value: conversionStanzaFor(options.endpoint, spec) }];
    await client.patch(crdType, undefined, crdName, patch, "json");
  }
  return configurations;
}
