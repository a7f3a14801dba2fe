import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import { TsoperatorStatus } from "tsoperator/nest";
import { Metrics } from "tsoperator";
import { AppModule } from "./app.module.cjs";
import { GreetingService } from "./greeting.service.cjs";
import { GreetingOperator } from "./greeting.operator.cjs";

async function bootstrap(): Promise<void> {
  // No HTTP server needed for an operator; NestFactory.create(AppModule) works the same way.
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ["error", "warn"] });
  const status = app.get(TsoperatorStatus);
  console.log(`nest-app: operators running ${JSON.stringify(status.state().controllers.map((c) => c.name))}`);
  // The Metrics a provider injects is the registry the runtime serves on /metrics.
  console.log(`nest-app: injected metrics are the runtime's: ${app.get(Metrics) === status.runtime?.metrics}`);

  // app.enableShutdownHooks() is the usual way; it re-raises the signal after closing. Closing
  // by hand instead lets the process end on its own, which shows nothing was left running.
  const shutdown = async (signal: string) => {
    console.log(`nest-app: ${signal}, draining`);
    await app.close();
    console.log(
      `nest-app: stopped; running=${status.state().running} instances: operator=${GreetingOperator.instances} service=${GreetingService.instances}`,
    );
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

void bootstrap();
