import { Injectable } from "@nestjs/common";
import type { OperatorRuntime, RuntimeState } from "../runner/operator-runtime.js";

/**
 * The operators' state for the app's own health endpoints: inject it anywhere.
 *
 * ```ts
 * @Controller("health")
 * class HealthController {
 *   constructor(private readonly operators: TsoperatorStatus) {}
 *   @Get() check() { return { ok: this.operators.healthy(), ...this.operators.state() }; }
 * }
 * ```
 */
@Injectable()
export class TsoperatorStatus {
  private current: OperatorRuntime | undefined;

  /** @internal Set by the module when the operators start and stop. */
  attach(runtime: OperatorRuntime | undefined): void {
    this.current = runtime;
  }

  /** The running runtime (metrics, registry, kubeConfig), once the application has bootstrapped. */
  get runtime(): OperatorRuntime | undefined {
    return this.current;
  }

  /**
   * Watches, queue depth, in-flight syncs and the last sync per operator; `running: false`
   * before bootstrap and after shutdown.
   */
  state(): RuntimeState {
    return this.current?.state() ?? { running: false, leading: false, controllers: [], informers: [] };
  }

  /** Running, every runnable ready (watches listed and healthy, no operator failed, the Lease usable): `/readyz`'s rule. */
  healthy(): boolean {
    const runtime = this.current;
    if (!runtime || !this.state().running) return false;
    return runtime.readiness().every((check) => check.ok);
  }
}
