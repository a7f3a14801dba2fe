// docs/examples/nestjs.ts — operators inside a NestJS application (`tsoperator/nest`).
import "reflect-metadata";
import { Controller, Get, Injectable, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { K8sType, Operator, Sync, SyncResponse, type SyncRequest } from "tsoperator";
import { TsoperatorModule, TsoperatorStatus } from "tsoperator/nest";

@Injectable()
export class PricingService {
  priceOf(plan: string): number {
    return plan === "pro" ? 20 : 0;
  }
}

@Module({ providers: [PricingService], exports: [PricingService] })
export class PricingModule {}

@Operator({ name: "subscription", parent: K8sType.of("example.com/v1", "Subscription", { plural: "subscriptions", namespaced: true }) })
export class SubscriptionOperator {
  constructor(private readonly pricing: PricingService) {} // from Nest's injector

  @Sync()
  sync(req: SyncRequest): SyncResponse {
    const plan = String((req.raw.spec as { plan?: string } | undefined)?.plan ?? "free");
    return SyncResponse.of({ monthlyPrice: this.pricing.priceOf(plan) });
  }
}

@Controller("health")
export class HealthController {
  constructor(private readonly operators: TsoperatorStatus) {}

  @Get("operators")
  check() {
    return { healthy: this.operators.healthy(), ...this.operators.state() };
  }
}

@Module({
  imports: [
    PricingModule,
    TsoperatorModule.forRootAsync({
      operators: [SubscriptionOperator],
      imports: [PricingModule], // what the operators inject
      useFactory: () => ({ namespace: process.env.WATCH_NAMESPACE, concurrency: 4, healthPort: 9090 }),
    }),
  ],
  controllers: [HealthController],
})
export class AppModule {}

export async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule);
  app.enableShutdownHooks(); // SIGTERM: in-flight syncs drain before providers are destroyed
}
