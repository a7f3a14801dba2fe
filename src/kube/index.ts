/** The kube client layer: wire JSON over one keep-alive connection pool per (cluster, user). */
export * from "../core/kube-object.js";
export * from "./errors.js";
export * from "./paths.js";
export {
  KubeClient,
  type ListOptions,
  type ListResult,
  type WriteOptions,
  type ApplyOptions,
  type PatchOptions,
  type DeleteOptions,
  type RawRequestOptions,
} from "./client.js";
export type { KubeClientOptions, RequestEvent, TransportStats } from "./transport.js";
export { type WatchOptions, watchPath, toWatchEvent } from "./watch.js";
export { Discovery, KindNotServedError } from "./discovery.js";
export { LineSplitter, parseJsonLines } from "./ndjson.js";
export { TokenBucket, type RateLimitOptions } from "./rate-limiter.js";
export { serverUrlOf, poolKeyOf } from "./credentials.js";
export {
  loadKubeConfig,
  isClientNodeFallback,
  NO_CLUSTER_CONFIGURED,
  type LoadKubeConfigOptions,
  type ImpersonationExtras,
} from "./kubeconfig.js";
export {
  loadClusterConfig,
  clusterConfigOf,
  isClusterConfig,
  type ClusterConfig,
  type LoadClusterConfigOptions,
} from "./cluster-config.js";
export { ClusterHealth, type RetryWaitResult } from "./cluster-health.js";
export {
  stepClusterHealth,
  initialClusterHealth,
  outcomeOfResponse,
  probeDelay,
  DEFAULT_CLUSTER_HEALTH_OPTIONS,
  type ClusterHealthKind,
  type ClusterHealthState,
  type ClusterHealthInput,
  type ClusterHealthOptions,
  type ClusterHealthStep,
  type RequestOutcome,
} from "./cluster-health-state.js";
export { AimdLimit, ConcurrencyGate, type AdaptiveConcurrencyOptions } from "./adaptive-concurrency.js";
