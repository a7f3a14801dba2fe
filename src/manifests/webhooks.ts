/**
 * The API server's side of the webhooks: Validating/MutatingWebhookConfigurations and a CRD's
 * `spec.conversion`, for either way of reaching the server — a Service in the cluster (what
 * `tsoperator manifests` writes, the CA injected by cert-manager) or a URL with an explicit
 * caBundle (TestKit and `tsoperator dev`, the server on loopback). Pure: specs in, wire objects out.
 */
import type { KubeObject } from "../core/kube-object.js";
import type { AdmissionWebhookSpec, ConversionWebhookSpec, WebhookSpec } from "../webhook/definitions.js";
import { pluralOf } from "./type-names.js";

/** How the API server reaches the webhook server. */
export type WebhookEndpoint =
  | { readonly url: string; readonly caBundle?: string }
  | { readonly service: { readonly namespace: string; readonly name: string; readonly port?: number }; readonly caBundle?: string };

/** Options of {@link webhookConfigurationsFor}. */
export interface WebhookConfigurationOptions {
  /** Name of both configurations (suffixed `-validating` / `-mutating`). */
  readonly name: string;
  readonly endpoint: WebhookEndpoint;
  /** Only objects in namespaces matching this selector are sent (e.g. the operator's own namespaces). */
  readonly namespaceSelector?: Record<string, unknown>;
  /** Annotations of both configurations (e.g. `cert-manager.io/inject-ca-from`). */
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
}

/** A webhook's `clientConfig` for a path on the endpoint. */
export function clientConfigFor(endpoint: WebhookEndpoint, path: string): Record<string, unknown> {
  const caBundle = endpoint.caBundle ? { caBundle: endpoint.caBundle } : {};
  if ("url" in endpoint) return { url: `${endpoint.url.replace(/\/$/, "")}${path}`, ...caBundle };
  return { service: { ...endpoint.service, port: endpoint.service.port ?? 443, path }, ...caBundle };
}

function webhookEntry(spec: AdmissionWebhookSpec, options: WebhookConfigurationOptions): Record<string, unknown> {
  return {
    name: spec.name,
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    failurePolicy: spec.failurePolicy,
    timeoutSeconds: spec.timeoutSeconds,
    // Equivalent: a request for another version of the resource is converted to the registered one first.
    matchPolicy: "Equivalent",
    clientConfig: clientConfigFor(options.endpoint, spec.path),
    rules: [
      {
        apiGroups: [spec.type.group],
        apiVersions: [spec.type.version],
        operations: [...spec.operations],
        resources: [pluralOf(spec.type)],
        scope: "*",
      },
    ],
    ...(options.namespaceSelector ? { namespaceSelector: options.namespaceSelector } : {}),
    ...(spec.kind === "mutating" ? { reinvocationPolicy: "Never" } : {}),
  };
}

/** The Validating- and MutatingWebhookConfiguration of the admission webhooks (each only when it has webhooks). */
export function webhookConfigurationsFor(specs: readonly WebhookSpec[], options: WebhookConfigurationOptions): KubeObject[] {
  const result: KubeObject[] = [];
  for (const [kind, suffix, configKind] of [
    ["validating", "validating", "ValidatingWebhookConfiguration"],
    ["mutating", "mutating", "MutatingWebhookConfiguration"],
  ] as const) {
    const webhooks = specs.filter((s): s is AdmissionWebhookSpec => s.kind === kind).map((s) => webhookEntry(s, options));
    if (webhooks.length === 0) continue;
    result.push({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: configKind,
      metadata: {
        name: `${options.name}-${suffix}`,
        labels: { "app.kubernetes.io/managed-by": "tsoperator", ...options.labels },
        ...(options.annotations ? { annotations: options.annotations } : {}),
      },
      webhooks,
    });
  }
  return result;
}

/** A CRD's `spec.conversion` sending conversions to the webhook server. */
export function conversionStanzaFor(
  endpoint: WebhookEndpoint,
  spec: Pick<ConversionWebhookSpec, "path"> = { path: "/convert" },
): Record<string, unknown> {
  return { strategy: "Webhook", webhook: { conversionReviewVersions: ["v1"], clientConfig: clientConfigFor(endpoint, spec.path) } };
}

/** The conversion specs among webhook specs, by CRD name (`<plural>.<group>`). */
export function conversionsByCrd(specs: readonly WebhookSpec[]): Map<string, ConversionWebhookSpec> {
  const result = new Map<string, ConversionWebhookSpec>();
  for (const spec of specs) if (spec.kind === "conversion") result.set(`${pluralOf(spec.type)}.${spec.type.group}`, spec);
  return result;
}
