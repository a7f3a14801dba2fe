import { Module } from "@nestjs/common";
import { GreetingService } from "./greeting.service.cjs";

/** An ordinary feature module exporting the service the operator needs. */
@Module({ providers: [GreetingService], exports: [GreetingService] })
export class GreetingModule {}
