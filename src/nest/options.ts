import type { OperatorInput, RunOptions } from "../runner/run-options.js";

/** Injection token of the run options (`TsoperatorModule.forRoot`/`forRootAsync`). */
export const TSOPERATOR_RUN_OPTIONS = Symbol("tsoperator:run-options");
/** Injection token of the operator list. */
export const TSOPERATOR_OPERATORS = Symbol("tsoperator:operators");

/**
 * Runtime options in a Nest app: everything `runOperators` takes except where instances come
 * from (Nest's injector supplies them). `handleSignals` defaults to false here: call
 * `app.enableShutdownHooks()` and Nest's shutdown drains the operators.
 */
export type TsoperatorRunOptions = Omit<RunOptions, "resolver" | "container">;

/** Nest module metadata a user may add so the operators' own dependencies resolve. */
export interface TsoperatorModuleDependencies {
  /** Modules whose exported providers the operator classes inject. */
  imports?: any[];
  /** Extra providers registered next to the operators (visible to them). */
  providers?: any[];
}

/** Options of `TsoperatorModule.forRoot`. */
export interface TsoperatorModuleOptions extends TsoperatorRunOptions, TsoperatorModuleDependencies {
  /** The operators: classes decorated with `@Operator` (registered as providers) or definitions. */
  operators: readonly OperatorInput[];
}

/** Options of `TsoperatorModule.forRootAsync`: the operators are static, the run options come from a factory. */
export interface TsoperatorModuleAsyncOptions extends TsoperatorModuleDependencies {
  /** Known when the module is defined, because Nest registers providers before any factory runs. */
  operators: readonly OperatorInput[];
  /** Returns the run options; its parameters are the `inject` tokens. */
  useFactory: (...args: any[]) => TsoperatorRunOptions | Promise<TsoperatorRunOptions>;
  inject?: any[];
}
