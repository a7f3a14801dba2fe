import "reflect-metadata";
import type { KubeConfig } from "@kubernetes/client-node";
import type { DependencyContainer } from "tsyringe";
import type { InstanceResolver } from "../di/resolver.js";
import type { Logger, LogFormat, LogLevel } from "../observability/logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { TypeRegistry } from "../registry/type-registry.js";

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
}

/** Options of `runOperators`. Every one has a default that suits a deployed operator. */
export interface RunOptions {
  /** The cluster to talk to. Default: `KUBECONFIG`, `~/.kube/config`, or the in-cluster service account. */
  kubeConfig?: KubeConfig;
  /** Watch only this namespace (operators may also set their own). */
  namespace?: string;
  /** Where operator instances come from: a tsyringe container (default: the global one) ... */
  container?: DependencyContainer;
  /** ... or any resolver (NestJS supplies one). Wins over `container`. */
  resolver?: InstanceResolver;
  /** The type registry (default: a new one with the built-in kinds). */
  registry?: TypeRegistry;
  /** Parallel syncs per operator, unless the operator sets its own. */
  concurrency?: number;
  logger?: Logger;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** Metrics registry holder; default: a new `Metrics` (its own prom-client registry). */
  metrics?: Metrics;
  /** Serve /metrics, /healthz and /readyz on this port (0 picks one). Off when undefined. */
  healthPort?: number;
  healthHost?: string;
  /** Run the controllers only while holding a Lease. Off when undefined or false. */
  leaderElection?: LeaderElectionOptions | false;
  /** Stop when this signal aborts. */
  signal?: AbortSignal;
  /** Stop on SIGINT/SIGTERM (drain in-flight syncs, release the lease). Default true. */
  handleSignals?: boolean;
  /** Record Kubernetes Events for failures. Default true. */
  events?: boolean;
}
