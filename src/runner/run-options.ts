/**
 * `RunOptions`: every setting of a running process (connection, scope, concurrency, probes,
 * leader election, logging, metrics, DI, the user's own runnables), shared by `runOperators`, the
 * CLI, TestKit and the Nest module.
 */
import "reflect-metadata";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterConfig } from "../kube/cluster-config.js";
import type { DependencyContainer } from "tsyringe";
import type { InstanceResolver } from "../di/resolver.js";
import type { KubeClientOptions } from "../kube/transport.js";
import type { Logger, LogFormat, LogLevel } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { TypeRegistry } from "../registry/type-registry.js";
import type { Runnable } from "../manager/runnable.js";
import type { WebhookInput } from "../webhook/definitions.js";
import type { WebhookServerOptions } from "../webhook/webhook-server.js";
import type { OperatorEvents } from "../manager/operator-events.js";
import type { RateLimitOptions } from "../kube/rate-limiter.js";

// Where they used to be declared; they belong to api/ (compile.ts), which every entry point reads.
export type { OperatorDefinition, OperatorInput } from "../api/compile.js";

/** Leader election settings; see `LeaderElector`. */
export interface LeaderElectionOptions {
  /** Namespace of the Lease. Default: the in-cluster namespace, else "default". */
  namespace?: string;
  /** Name of the Lease. Default: the operators' names joined. */
  name?: string;
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  /**
   * Followers list and watch (warm their caches) before they win the lease, so a new leader
   * starts syncing at once instead of listing first (controller-runtime's "warm replicas").
   * Default true; false keeps a standby's memory and API load at nearly nothing.
   */
  warmCaches?: boolean;
}

/** Options of `runOperators`. Every one has a default that suits a deployed operator. */
export interface RunOptions {
  /**
   * The cluster to talk to: a client-node `KubeConfig` or tsoperator's own `ClusterConfig`
   * (`loadClusterConfig()`). Default: `loadClusterConfig()` — `KUBECONFIG`, `~/.kube/config`, or
   * the in-cluster service account, read without loading client-node.
   */
  kubeConfig?: KubeConfig | ClusterConfig;
  /** Watch only this namespace (operators may also set their own). */
  namespace?: string;
  /**
   * Watch only these namespaces (with `namespace`, the union): one list+watch per namespace and
   * type, never cluster-wide. An operator's own namespaces win over these.
   */
  namespaces?: readonly string[];
  /**
   * Watch only the parents this label selector matches (e.g. `"shard=a"`), in every operator; an
   * operator's own selector applies too (both must match).
   */
  labelSelector?: string;
  /** Where operator instances come from: a tsyringe container (default: the global one) ... */
  container?: DependencyContainer;
  /** ... or any resolver (NestJS supplies one). Wins over `container`. */
  resolver?: InstanceResolver;
  /** The type registry (default: a new one with the built-in kinds). */
  registry?: TypeRegistry;
  /**
   * Settings of the process's Kubernetes client: request connections, retries, the adaptive
   * concurrency limit under 429 (`adaptiveConcurrency: false` turns it off) and so on. The metrics
   * hooks (`onRequest`, `onConcurrencyLimit`) are the runtime's own.
   */
  client?: Omit<KubeClientOptions, "onRequest" | "onConcurrencyLimit">;
  /** Parallel syncs per operator, unless the operator sets its own. */
  concurrency?: number;
  logger?: Logger;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** Metrics registry holder; default: a new `Metrics` (its own prom-client registry). */
  metrics?: Metrics;
  /**
   * Serve /metrics, /health, /healthz and /readyz on this port (0 picks one); `false` serves
   * nothing. Default {@link DEFAULT_HEALTH_PORT} (8080, as roperator): when that default port is
   * taken, a warning is logged and the operators run without it (a port given here must be free).
   */
  healthPort?: number | false;
  /** Address the health server listens on. Default: every interface. */
  healthHost?: string;
  /**
   * Client-side limit of the API requests of this process (client-go's `QPS`/`Burst`), watches
   * excepted. Default: none (the server's priority and fairness answers 429, which the client
   * retries and adapts its concurrency to).
   */
  clientRateLimit?: RateLimitOptions;
  /** The User-Agent of every API request (audit logs and APF flow schemas match on it). Default "tsoperator". */
  userAgent?: string;
  /** Run the controllers only while holding a Lease. Off when undefined or false. */
  leaderElection?: LeaderElectionOptions | false;
  /** Stop when this signal aborts. */
  signal?: AbortSignal;
  /** Stop on SIGINT/SIGTERM (drain in-flight syncs, release the lease). Default true. */
  handleSignals?: boolean;
  /** Record Kubernetes Events (failures, and what handlers record through `req.events`). Default true. */
  events?: boolean;
  /**
   * The injectable Event service to connect to this runtime's recorder. Default: a new one,
   * registered for tsyringe; the Nest module passes its provider.
   */
  operatorEvents?: OperatorEvents;
  /**
   * How long an operator waits for its caches' first list before it is reported failed (it does
   * not run until they list, then starts without a restart; the others run; `/readyz` is red
   * meanwhile). Default 120 000 ms.
   */
  cacheSyncTimeoutMs?: number;
  /**
   * Your own runnables, started and stopped with the operators: a periodic job, an extra HTTP
   * endpoint. They run only while this process leads unless they set `needsLeaderElection: false`;
   * `start(signal)` runs until `signal` aborts and settles once stopped.
   *
   * ```ts
   * const report: Runnable = {
   *   name: "usage-report",
   *   async start(signal) {
   *     while (!signal.aborted) {
   *       await sendUsageReport();
   *       await sleep(3_600_000, undefined, { signal }).catch(() => undefined);
   *     }
   *   },
   * };
   * await runOperators([BackupOperator], { runnables: [report], leaderElection: {} });
   * ```
   */
  runnables?: readonly Runnable[];
  /**
   * Admission and conversion webhooks to serve: classes decorated with `@Validator` / `@Defaulter`
   * (constructed with DI, like operators) and what `defineValidator` / `defineDefaulter` /
   * `defineConversion` return. They are served over HTTPS by every replica (see `webhookServer`).
   */
  webhooks?: readonly WebhookInput[];
  /** Port, host and certificate files of the webhook server (default port 9443, certificate in /tmp/k8s-webhook-server/serving-certs). */
  webhookServer?: WebhookServerOptions;
}

/** The port the health server listens on when `healthPort` is not given (roperator's). */
export const DEFAULT_HEALTH_PORT = 8080;
