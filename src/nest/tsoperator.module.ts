import { Module, type DynamicModule, type Provider } from "@nestjs/common";
import type { OperatorInput } from "../runner/run-options.js";
import {
  TSOPERATOR_OPERATORS,
  TSOPERATOR_RUN_OPTIONS,
  type TsoperatorModuleAsyncOptions,
  type TsoperatorModuleOptions,
} from "./options.js";
import { TsoperatorLifecycle } from "./tsoperator-lifecycle.js";
import { TsoperatorStatus } from "./tsoperator-status.js";
import { injectableProviders, INJECTABLE_TOKENS } from "./injectables.js";

/** Operator classes become providers of the module; definitions need no instance. */
function operatorProviders(operators: readonly OperatorInput[]): Provider[] {
  return operators.filter((o): o is new (...args: any[]) => unknown => typeof o === "function") as Provider[];
}

function dynamicModule(
  operators: readonly OperatorInput[],
  optionsProvider: Provider,
  deps: { imports?: any[]; providers?: any[] },
): DynamicModule {
  return {
    module: TsoperatorModule,
    global: true,
    imports: deps.imports ?? [],
    providers: [
      ...operatorProviders(operators),
      ...(deps.providers ?? []),
      { provide: TSOPERATOR_OPERATORS, useValue: operators },
      optionsProvider,
      ...injectableProviders(),
      TsoperatorStatus,
      TsoperatorLifecycle,
    ],
    exports: [TsoperatorStatus, ...INJECTABLE_TOKENS],
  };
}

/**
 * Runs tsoperator operators inside a NestJS application. Operator classes are ordinary Nest
 * providers: their constructor dependencies come from Nest's injector (list the modules that
 * export them in `imports`, or make those modules global). The operators start after the
 * application bootstraps and drain on shutdown (`app.enableShutdownHooks()`).
 *
 * ```ts
 * @Module({
 *   imports: [TsoperatorModule.forRoot({ operators: [GreetingOperator], imports: [GreetingModule] })],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class TsoperatorModule {
  /** Static options. */
  static forRoot(options: TsoperatorModuleOptions): DynamicModule {
    const { operators, imports, providers, ...runOptions } = options;
    return dynamicModule(
      operators,
      { provide: TSOPERATOR_RUN_OPTIONS, useValue: runOptions },
      { ...(imports ? { imports } : {}), ...(providers ? { providers } : {}) },
    );
  }

  /**
   * Run options from a factory (e.g. from `ConfigService`); the operators themselves are listed
   * statically so that Nest can register them as providers.
   */
  static forRootAsync(options: TsoperatorModuleAsyncOptions): DynamicModule {
    const { operators, imports, providers, useFactory, inject } = options;
    return dynamicModule(
      operators,
      { provide: TSOPERATOR_RUN_OPTIONS, useFactory, inject: inject ?? [] },
      { ...(imports ? { imports } : {}), ...(providers ? { providers } : {}) },
    );
  }
}
