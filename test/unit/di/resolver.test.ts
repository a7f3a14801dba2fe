/**
 * `@Operator` records metadata only; the tsyringe resolver makes an operator class injectable
 * when it resolves it (issue 10: the DI binding belongs to the resolver, not to api/).
 */
import "reflect-metadata";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { container, injectable } from "tsyringe";
import { V1ObjectMeta } from "@kubernetes/client-node";
import { KubernetesType, Operator, Sync, SyncResponse } from "../../../src/api/index.js";
import { tsyringeResolver } from "../../../src/di/resolver.js";

@KubernetesType({ apiVersion: "example.com/v1", kind: "Thing" })
class Thing {
  metadata!: V1ObjectMeta;
}

@injectable()
class Clock {
  now(): number {
    return 42;
  }
}

@Operator({ name: "thing", parent: Thing })
class ThingOperator {
  constructor(readonly clock: Clock) {}
  @Sync() sync() {
    return SyncResponse.of({ at: this.clock.now() });
  }
}

describe("the tsyringe resolver", () => {
  it("@Operator does not bind the class in tsyringe: only the resolver does", () => {
    // Straight to tsyringe, without the resolver: the class was never made injectable.
    assert.throws(() => container.createChildContainer().resolve(ThingOperator), /TypeInfo not known for "ThingOperator"/);
  });

  it("injects constructor parameters of an @Operator class from the emitted metadata", async () => {
    const child = container.createChildContainer();
    child.registerInstance(Clock, { now: () => 7 });
    const op = await tsyringeResolver(child).resolve(ThingOperator);
    assert.ok(op instanceof ThingOperator);
    assert.equal(op.clock.now(), 7);
    assert.equal((await tsyringeResolver().resolve(ThingOperator)).clock.now(), 42);
  });

  it("names the fix when a class has constructor parameters but no type metadata", async () => {
    class Undecorated {
      constructor(readonly clock: Clock) {}
    }
    assert.throws(() => tsyringeResolver().resolve(Undecorated), /no type metadata to inject them from: set "emitDecoratorMetadata": true/);
  });
});
