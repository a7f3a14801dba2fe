/**
 * What the runtime lends to providers in a Nest app: the logger (`TSOPERATOR_LOGGER`), `Metrics`,
 * `KubeConfig` and `OperatorEvents`, as Nest providers. Nest builds providers before the operators
 * start (at application bootstrap), so these are made here from the run options and then handed
 * to `runOperators`, which uses the very same instances.
 */
import type { Provider } from "@nestjs/common";
import { KubeConfig } from "@kubernetes/client-node";
import { TSOPERATOR_LOGGER } from "../di/tokens.js";
import { loadKubeConfig } from "../kube/kubeconfig.js";
import { clusterConfigOf } from "../kube/cluster-config.js";
import { OperatorEvents } from "../manager/operator-events.js";
import { createLogger, type Logger } from "../observability/logger.js";
import { Metrics } from "../observability/metrics.js";
import { TSOPERATOR_RUN_OPTIONS, type TsoperatorRunOptions } from "./options.js";

/** @internal Token of the instances below, as one object (read by the lifecycle). */
export const TSOPERATOR_INJECTABLES = Symbol("tsoperator:injectables");

/** The instances shared by Nest's providers and the runtime. */
export interface Injectables {
  kubeConfig: KubeConfig;
  logger: Logger;
  metrics: Metrics;
  operatorEvents: OperatorEvents;
}

/** The tokens the module exports (besides `TsoperatorStatus`). */
export const INJECTABLE_TOKENS = [TSOPERATOR_LOGGER, Metrics, KubeConfig, OperatorEvents] as const;

function injectablesOf(options: TsoperatorRunOptions): Injectables {
  return {
    // The Nest module needs client-node's KubeConfig as a provider token, so it loads client-node anyway.
    kubeConfig: options.kubeConfig ? clusterConfigOf(options.kubeConfig).toKubeConfig() : loadKubeConfig(),
    logger:
      options.logger ??
      createLogger({
        ...(options.logLevel ? { level: options.logLevel } : {}),
        ...(options.logFormat ? { format: options.logFormat } : {}),
      }),
    metrics: options.metrics ?? new Metrics(),
    operatorEvents: options.operatorEvents ?? new OperatorEvents(),
  };
}

/** The providers: one factory from the run options, and one provider per token reading it. */
export function injectableProviders(): Provider[] {
  const from = (pick: (i: Injectables) => unknown) => ({ useFactory: pick, inject: [TSOPERATOR_INJECTABLES] });
  return [
    { provide: TSOPERATOR_INJECTABLES, useFactory: injectablesOf, inject: [TSOPERATOR_RUN_OPTIONS] },
    { provide: TSOPERATOR_LOGGER, ...from((i) => i.logger) },
    { provide: Metrics, ...from((i) => i.metrics) },
    { provide: KubeConfig, ...from((i) => i.kubeConfig) },
    { provide: OperatorEvents, ...from((i) => i.operatorEvents) },
  ];
}
