/**
 * What a platform team expects around the operator's Deployment, beyond CRDs and RBAC (pure):
 * - monitoring: a metrics Service in front of the health port (`/metrics`), an optional Prometheus
 *   Operator `ServiceMonitor`, and a Grafana dashboard over the controller-runtime metric names the
 *   runtime exports (src/observability/metrics.ts), shipped as a ConfigMap the Grafana sidecar of
 *   kube-prometheus-stack picks up (label `grafana_dashboard: "1"`);
 * - policies: `restricted` pod-security labels for the install namespace, a PodDisruptionBudget
 *   when replicas > 1 (topology spread is on the Deployment itself), and a NetworkPolicy that
 *   allows DNS, the API server and the metrics/webhook ports only.
 * Every object carries the same `app.kubernetes.io/name` selector as the Deployment's pods.
 */
import type { KubeObject } from "../core/kube-object.js";

/** Where the operator's pods are and what they serve. */
export interface WorkloadRef {
  /** The Deployment's name (its pods carry `app.kubernetes.io/name: <name>`). */
  name: string;
  namespace: string;
  /** The port serving /metrics, /healthz and /readyz (the Deployment's `http-health`). */
  healthPort: number;
  replicas: number;
}

/** Options of {@link platformObjectsFor}. */
export interface PlatformOptions {
  /** A Service named `<name>-metrics` on the health port (default true). */
  metricsService?: boolean;
  /** A Prometheus Operator ServiceMonitor (needs its CRD in the cluster; default false). */
  serviceMonitor?: boolean;
  /** The Grafana dashboard as a ConfigMap (default false). */
  grafanaDashboard?: boolean;
  /** PodDisruptionBudget (replicas > 1) and NetworkPolicy (default true). */
  policies?: boolean;
  /** Ports other than the health port that the NetworkPolicy lets in (e.g. a webhook's 9443). */
  extraIngressPorts?: readonly number[];
  /** API server egress ports (default 443 and 6443: the Service `kubernetes` and a control plane's own port). */
  apiServerPorts?: readonly number[];
}

/** The labels the Pod Security admission reads on a namespace: enforce, audit and warn `restricted`. */
export const RESTRICTED_POD_SECURITY_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
});

const MANAGED_BY = "tsoperator";

function metadataOf(ref: WorkloadRef, name: string, extraLabels: Record<string, string> = {}) {
  return {
    name,
    namespace: ref.namespace,
    labels: { "app.kubernetes.io/name": ref.name, "app.kubernetes.io/managed-by": MANAGED_BY, ...extraLabels },
  };
}

/** The metrics Service: port `metrics` → the pods' `http-health` port. */
export function metricsServiceFor(ref: WorkloadRef): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadataOf(ref, `${ref.name}-metrics`, { "app.kubernetes.io/component": "metrics" }),
    spec: {
      selector: { "app.kubernetes.io/name": ref.name },
      ports: [{ name: "metrics", port: ref.healthPort, targetPort: "http-health", protocol: "TCP" }],
    },
  };
}

/** A ServiceMonitor scraping the metrics Service every 30 s. */
export function serviceMonitorFor(ref: WorkloadRef): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: metadataOf(ref, ref.name),
    spec: {
      selector: { matchLabels: { "app.kubernetes.io/name": ref.name, "app.kubernetes.io/component": "metrics" } },
      namespaceSelector: { matchNames: [ref.namespace] },
      endpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
    },
  };
}

/** A PodDisruptionBudget keeping one pod up during voluntary disruptions (only useful with replicas > 1). */
export function podDisruptionBudgetFor(ref: WorkloadRef): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadataOf(ref, ref.name),
    spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": ref.name } } },
  };
}

/**
 * A NetworkPolicy for the operator's pods: ingress only on the health/metrics port (and the extra
 * ports given), egress only to DNS and to the API server ports. The API server's address is not
 * known when generating (a managed control plane sits outside the pod network), so egress to it is
 * by port; narrow it with an `ipBlock` in an overlay when the address is fixed.
 */
export function networkPolicyFor(
  ref: WorkloadRef,
  options: Pick<PlatformOptions, "extraIngressPorts" | "apiServerPorts"> = {},
): KubeObject {
  const ingressPorts = [...new Set([ref.healthPort, ...(options.extraIngressPorts ?? [])])];
  const apiPorts = options.apiServerPorts ?? [443, 6443];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadataOf(ref, ref.name),
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": ref.name } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ ports: ingressPorts.map((port) => ({ protocol: "TCP", port })) }],
      egress: [
        {
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { ports: apiPorts.map((port) => ({ protocol: "TCP", port })) },
      ],
    },
  };
}

const DATASOURCE_VARIABLE = ["$", "{datasource}"].join("");

/** The metric names the dashboard queries: all exported by src/observability/metrics.ts. */
export const DASHBOARD_METRICS = Object.freeze([
  "controller_runtime_reconcile_total",
  "controller_runtime_reconcile_errors_total",
  "controller_runtime_reconcile_time_seconds_bucket",
  "controller_runtime_active_workers",
  "controller_runtime_max_concurrent_reconciles",
  "workqueue_depth",
  "workqueue_queue_duration_seconds_bucket",
  "workqueue_retries_total",
] as const);

/**
 * A Grafana dashboard (schema 39) over the controller-runtime metrics, one row of panels per
 * concern: reconcile rate and errors, reconcile latency, queue depth and wait, workers in use.
 * `job` is the Prometheus job (the ServiceMonitor's default is the Service name).
 */
export function grafanaDashboard(title: string, job: string): Record<string, unknown> {
  const sel = `job="${job}"`;
  const panel = (id: number, name: string, unit: string, x: number, y: number, exprs: Array<[string, string]>) => ({
    id,
    title: name,
    type: "timeseries",
    // Grafana's own variable syntax (the templating list below), not a template literal.
    datasource: { type: "prometheus", uid: DATASOURCE_VARIABLE },
    gridPos: { h: 8, w: 12, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: exprs.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), expr, legendFormat })),
  });
  return {
    title,
    uid: `tsoperator-${job}`.slice(0, 40),
    schemaVersion: 39,
    tags: ["tsoperator", "controller-runtime"],
    time: { from: "now-1h", to: "now" },
    templating: {
      list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Data source" }],
    },
    panels: [
      panel(1, "Reconciles per second", "ops", 0, 0, [
        [`sum by (controller, result) (rate(controller_runtime_reconcile_total{${sel}}[5m]))`, "{{controller}} {{result}}"],
      ]),
      panel(2, "Reconcile errors per second", "ops", 12, 0, [
        [`sum by (controller) (rate(controller_runtime_reconcile_errors_total{${sel}}[5m]))`, "{{controller}}"],
      ]),
      panel(3, "Reconcile time (p50, p99)", "s", 0, 8, [
        [
          `histogram_quantile(0.5, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{${sel}}[5m])))`,
          "{{controller}} p50",
        ],
        [
          `histogram_quantile(0.99, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket{${sel}}[5m])))`,
          "{{controller}} p99",
        ],
      ]),
      panel(4, "Workers in use", "short", 12, 8, [
        [`sum by (controller) (controller_runtime_active_workers{${sel}})`, "{{controller}} active"],
        [`sum by (controller) (controller_runtime_max_concurrent_reconciles{${sel}})`, "{{controller}} max"],
      ]),
      panel(5, "Queue depth", "short", 0, 16, [[`sum by (name) (workqueue_depth{${sel}})`, "{{name}}"]]),
      panel(6, "Queue wait (p99) and retries", "s", 12, 16, [
        [`histogram_quantile(0.99, sum by (name, le) (rate(workqueue_queue_duration_seconds_bucket{${sel}}[5m])))`, "{{name}} wait p99"],
        [`sum by (name) (rate(workqueue_retries_total{${sel}}[5m]))`, "{{name}} retries/s"],
      ]),
    ],
  };
}

/** The dashboard in a ConfigMap that Grafana's dashboard sidecar (kube-prometheus-stack) loads. */
export function grafanaDashboardConfigMapFor(ref: WorkloadRef): KubeObject {
  const dashboard = grafanaDashboard(`${ref.name} (tsoperator)`, `${ref.name}-metrics`);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadataOf(ref, `${ref.name}-dashboard`, { grafana_dashboard: "1" }),
    data: { [`${ref.name}.json`]: `${JSON.stringify(dashboard, null, 2)}\n` },
  };
}

/** The objects around the Deployment, in apply order: Service, PDB, NetworkPolicy, then monitoring. */
export function platformObjectsFor(ref: WorkloadRef, options: PlatformOptions = {}): { workload: KubeObject[]; monitoring: KubeObject[] } {
  const workload: KubeObject[] = [];
  const monitoring: KubeObject[] = [];
  if (options.metricsService ?? true) workload.push(metricsServiceFor(ref));
  if (options.policies ?? true) {
    if (ref.replicas > 1) workload.push(podDisruptionBudgetFor(ref));
    workload.push(networkPolicyFor(ref, options));
  }
  if (options.serviceMonitor) monitoring.push(serviceMonitorFor(ref));
  if (options.grafanaDashboard) monitoring.push(grafanaDashboardConfigMapFor(ref));
  return { workload, monitoring };
}
