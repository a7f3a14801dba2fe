import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { ModuleRef } from "@nestjs/core";
import type { InstanceResolver } from "../di/resolver.js";
import type { OperatorRuntime } from "../runner/operator-runtime.js";
import { runOperators } from "../runner/run-operators.js";
import type { OperatorInput } from "../runner/run-options.js";
import { TSOPERATOR_OPERATORS, TSOPERATOR_RUN_OPTIONS, type TsoperatorRunOptions } from "./options.js";
import { TsoperatorStatus } from "./tsoperator-status.js";
import { TSOPERATOR_INJECTABLES, type Injectables } from "./injectables.js";

/** Operator instances come from Nest's injector: the providers the module registered, never a second copy. */
export function nestResolver(moduleRef: ModuleRef): InstanceResolver {
  return {
    resolve<T>(cls: abstract new (...args: never[]) => T): T {
      return moduleRef.get(cls as never, { strict: false }) as T;
    },
  };
}

/**
 * Starts the operators once the whole application has bootstrapped (every provider exists and
 * `onModuleInit` hooks have run) and drains them on shutdown, before the providers they use
 * are destroyed.
 */
@Injectable()
export class TsoperatorLifecycle implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown {
  private runtime: OperatorRuntime | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly status: TsoperatorStatus,
    @Inject(TSOPERATOR_OPERATORS) private readonly operators: readonly OperatorInput[],
    @Inject(TSOPERATOR_RUN_OPTIONS) private readonly options: TsoperatorRunOptions,
    @Inject(TSOPERATOR_INJECTABLES) private readonly injectables: Injectables,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.runtime = await runOperators(this.operators, {
      ...this.options,
      // The instances Nest already handed to providers: the runtime must use the same ones.
      ...this.injectables,
      handleSignals: this.options.handleSignals ?? false,
      resolver: nestResolver(this.moduleRef),
    });
    this.status.attach(this.runtime);
  }

  /** The first shutdown hook Nest calls: in-flight syncs finish while their dependencies still exist. */
  async onModuleDestroy(): Promise<void> {
    await this.runtime?.stop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime?.stop();
  }
}
