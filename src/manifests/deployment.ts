/**
 * The Deployment that runs `tsoperator run <module>` in the cluster, with the probes and
 * security settings a production operator wants. Pure.
 */
import type { KubeObject } from "../core/kube-object.js";

/** Settings of the generated Deployment. */
export interface DeploymentOptions {
  name: string;
  namespace: string;
  serviceAccountName: string;
  /** The image holding the application (its node_modules included). */
  image: string;
  /** `imagePullPolicy` of the container (Kubernetes' default when left out: Always for `:latest`, else IfNotPresent). */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Path of the compiled module inside the image, relative to `workingDir`. */
  modulePath: string;
  /** Working directory of the container (default /app). */
  workingDir?: string;
  replicas?: number;
  /** Probe/metrics port (default 8080). */
  healthPort?: number;
  /** Pass `--namespace`: the operators watch only this namespace. */
  watchNamespace?: string;
  /** Pass `--namespace` once per namespace: the operators watch only these. */
  watchNamespaces?: readonly string[];
  /** Pass `--label-selector`: the operators watch only the parents it matches. */
  labelSelector?: string;
  /** Pass `--leader-elect` (default true: a rolling update briefly runs two pods). */
  leaderElection?: boolean;
  /** Serve webhooks: the port, and the Secret holding the serving certificate (mounted where the server reads it). */
  webhook?: { port: number; secretName: string };
}

/** The Deployment object. */
export function deploymentFor(options: DeploymentOptions): KubeObject {
  const port = options.healthPort ?? 8080;
  const leaderElection = options.leaderElection ?? true;
  const labels = { "app.kubernetes.io/name": options.name, "app.kubernetes.io/managed-by": "tsoperator" };
  const args = ["run", options.modulePath, "--health-port", String(port), "--log-format", "json"];
  if (leaderElection) args.push("--leader-elect");
  const namespaces = [...new Set([...(options.watchNamespace ? [options.watchNamespace] : []), ...(options.watchNamespaces ?? [])])];
  for (const namespace of namespaces) args.push("--namespace", namespace);
  if (options.labelSelector) args.push("--label-selector", options.labelSelector);
  if (options.webhook) args.push("--webhook-port", String(options.webhook.port));
  const probe = (path: string, initialDelaySeconds: number) => ({
    httpGet: { path, port: "http-health" },
    initialDelaySeconds,
    periodSeconds: 10,
  });
  const replicas = options.replicas ?? 1;
  // Liveness starts only once /healthz answered: a slow start (cold cache, big lists) is given
  // 5 minutes (30 × 10 s) instead of being killed by the liveness probe's 30 s.
  const startupProbe = { httpGet: { path: "/healthz", port: "http-health" }, periodSeconds: 10, failureThreshold: 30 };
  // Replicas on one node fail together: spread them (soft, so a one-node cluster still schedules).
  const spread =
    replicas > 1
      ? {
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: { "app.kubernetes.io/name": options.name } },
            },
          ],
        }
      : {};
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: options.name, namespace: options.namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: { "app.kubernetes.io/name": options.name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: options.serviceAccountName,
          // Long enough for in-flight syncs to drain after SIGTERM (the handler timeout is 60 s by default).
          terminationGracePeriodSeconds: 70,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
          ...(options.webhook ? { volumes: [{ name: "webhook-cert", secret: { secretName: options.webhook.secretName } }] } : {}),
          ...spread,
          containers: [
            {
              name: "operator",
              image: options.image,
              ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
              workingDir: options.workingDir ?? "/app",
              // `node <bin>` rather than the bin symlink: no shell, no npx cache on a read-only root.
              command: ["node", "node_modules/tsoperator/dist/src/cli/main.js"],
              args,
              env: [
                { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                // V8 sizes its young generation from the machine's memory, not the container's:
                // up to 128 MB of RSS that an operator's short-lived garbage never needs. Capped, a
                // 1000-parent operator's RSS fell from ~300 MB to ~165 MB at no cost in throughput
                // (bench/README.md, "Memory").
                { name: "NODE_OPTIONS", value: "--max-semi-space-size=8" },
              ],
              ports: [
                { name: "http-health", containerPort: port },
                ...(options.webhook ? [{ name: "https-webhook", containerPort: options.webhook.port }] : []),
              ],
              ...(options.webhook
                ? { volumeMounts: [{ name: "webhook-cert", mountPath: "/tmp/k8s-webhook-server/serving-certs", readOnly: true }] }
                : {}),
              startupProbe,
              livenessProbe: probe("/healthz", 5),
              readinessProbe: probe("/readyz", 2),
              resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}
