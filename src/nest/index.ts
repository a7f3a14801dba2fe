/**
 * `tsoperator/nest`: run tsoperator operators in a NestJS application. Needs `@nestjs/common`
 * and `@nestjs/core` (optional peer dependencies of tsoperator; only this entry point imports them).
 */
import "reflect-metadata";
export { TsoperatorModule } from "./tsoperator.module.js";
export { TsoperatorStatus } from "./tsoperator-status.js";
export { nestResolver } from "./tsoperator-lifecycle.js";
export {
  TSOPERATOR_RUN_OPTIONS,
  TSOPERATOR_OPERATORS,
  type TsoperatorModuleOptions,
  type TsoperatorModuleAsyncOptions,
  type TsoperatorRunOptions,
  type TsoperatorModuleDependencies,
} from "./options.js";
