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

/** How the serving certificate of a deployed webhook server is made and its CA handed to the API server. */
export type WebhookCertificateSource =
  /** cert-manager issues it (a self-signed Issuer and a Certificate) and injects the CA (`cert-manager.io/inject-ca-from`). */
  | "cert-manager"
  /**
   * You provide the Secret `<name>-webhook-cert` (keys tls.crt, tls.key) and fill in `caBundle`
   * in the configurations and the CRD's conversion yourself (e.g. from your own PKI).
   */
  | "manual";

/** What a deployed webhook server needs besides the Deployment: see {@link webhookDeploymentObjects}. */
export interface WebhookDeploymentOptions {
  /** The app name (the Deployment's); the Service is `<name>-webhook`, the Secret `<name>-webhook-cert`. */
  readonly name: string;
  readonly namespace: string;
  /** The container port the webhook server listens on (default 9443). */
  readonly port?: number;
  readonly certificates?: WebhookCertificateSource;
}

/** Names of the webhook objects for an app. */
export function webhookNames(name: string) {
  return { service: `${name}-webhook`, secret: `${name}-webhook-cert`, certificate: `${name}-webhook`, issuer: `${name}-selfsigned` };
}

/** The endpoint of a deployed webhook server: its Service. */
export function serviceEndpoint(options: WebhookDeploymentOptions): WebhookEndpoint {
  return { service: { namespace: options.namespace, name: webhookNames(options.name).service, port: 443 } };
}

/** `cert-manager.io/inject-ca-from` for the configurations and converted CRDs (cert-manager fills caBundle from the Certificate). */
export function caInjectionAnnotations(options: WebhookDeploymentOptions): Record<string, string> {
  if ((options.certificates ?? "cert-manager") !== "cert-manager") return {};
  return { "cert-manager.io/inject-ca-from": `${options.namespace}/${webhookNames(options.name).certificate}` };
}

/**
 * The Service in front of the webhook server and, with cert-manager, a self-signed Issuer and the
 * Certificate whose Secret the Deployment mounts (DNS names: the Service's in-cluster names).
 */
export function webhookDeploymentObjects(options: WebhookDeploymentOptions): KubeObject[] {
  const names = webhookNames(options.name);
  const labels = { "app.kubernetes.io/name": options.name, "app.kubernetes.io/managed-by": "tsoperator" };
  const objects: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: names.service, namespace: options.namespace, labels },
      spec: {
        selector: { "app.kubernetes.io/name": options.name },
        ports: [{ name: "https-webhook", port: 443, targetPort: "https-webhook", protocol: "TCP" }],
      },
    },
  ];
  if ((options.certificates ?? "cert-manager") === "cert-manager") {
    objects.push(
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Issuer",
        metadata: { name: names.issuer, namespace: options.namespace, labels },
        spec: { selfSigned: {} },
      },
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: names.certificate, namespace: options.namespace, labels },
        spec: {
          secretName: names.secret,
          dnsNames: [`${names.service}.${options.namespace}.svc`, `${names.service}.${options.namespace}.svc.cluster.local`],
          issuerRef: { kind: "Issuer", name: names.issuer },
          privateKey: { rotationPolicy: "Always" },
        },
      },
    );
  }
  return objects;
}
