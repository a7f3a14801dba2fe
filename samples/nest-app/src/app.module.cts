import { Module } from "@nestjs/common";
import { TsoperatorModule } from "tsoperator/nest";
import { GreetingModule } from "./greeting.module.cjs";
import { GreetingOperator } from "./greeting.operator.cjs";

/**
 * The operator is a provider of TsoperatorModule; `imports` lets it inject GreetingService. The
 * run options come from a factory (here: the environment), as they would from a ConfigService.
 */
@Module({
  imports: [
    GreetingModule,
    TsoperatorModule.forRootAsync({
      operators: [GreetingOperator],
      imports: [GreetingModule],
      useFactory: () => ({
        ...(process.env.WATCH_NAMESPACE ? { namespace: process.env.WATCH_NAMESPACE } : {}),
        logLevel: "warn" as const,
      }),
    }),
  ],
})
export class AppModule {}
