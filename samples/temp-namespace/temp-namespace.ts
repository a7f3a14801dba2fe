import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  ChildConfig,
  K8sType,
  OperatorConfig,
  failable,
  type FailableHandler,
  type Handler,
  type HandlerOutcome,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "tsoperator";

/** The cluster-scoped parent type (samples/temp-namespace/crd.yaml). */
export const TEMP_NAMESPACE = K8sType.of("samples.tsoperator.dev/v1", "TempNamespace", { plural: "tempnamespaces", namespaced: false });
const NAMESPACE = K8sType.of("v1", "Namespace", { plural: "namespaces", namespaced: false });

/** What validation hands to the child step. */
interface Plan {
  namespace: string;
  labels: Record<string, string>;
  /** ms since the epoch; undefined: lives until deleted. */
  expiresAt?: number;
}

interface TempNamespaceSpec {
  deleteAfterSeconds?: number;
  labels?: Record<string, string>;
}

/**
 * TempNamespace → a Namespace of the same name (OnDelete: created when missing, never updated),
 * written as a *failable* handler: validation, children and status as separate steps, errors
 * reported in `status.error` with per-parent backoff, existing children kept on failure. Once
 * `spec.deleteAfterSeconds` have passed, the TempNamespace deletes itself (and the garbage
 * collector removes its Namespace).
 */
export class TempNamespaceHandler implements FailableHandler<KubeObject, Plan> {
  constructor(
    private readonly deleteParent: (name: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  validate(req: SyncRequest<KubeObject>): Plan | Error {
    const name = req.raw.metadata?.name ?? "";
    const spec = (req.raw.spec ?? {}) as TempNamespaceSpec;
    const after = spec.deleteAfterSeconds;
    if (after !== undefined && (!Number.isInteger(after) || after <= 0)) {
      return new Error(`spec.deleteAfterSeconds must be a positive whole number of seconds, got ${JSON.stringify(after)}`);
    }
    const created = Date.parse(req.raw.metadata?.creationTimestamp ?? "") || this.now();
    return { namespace: name, labels: spec.labels ?? {}, ...(after !== undefined ? { expiresAt: created + after * 1000 } : {}) };
  }

  async syncChildren(req: SyncRequest<KubeObject>, plan: Plan): Promise<KubeObject[]> {
    if (plan.expiresAt !== undefined && this.now() >= plan.expiresAt) {
      await this.deleteParent(req.raw.metadata?.name ?? "");
    }
    return [{ apiVersion: "v1", kind: "Namespace", metadata: { name: plan.namespace, labels: plan.labels } }];
  }

  determineStatus(_req: SyncRequest<KubeObject>, outcome: HandlerOutcome<Plan>): unknown {
    if (outcome.kind === "syncSucceeded") {
      const { namespace, expiresAt } = outcome.validated;
      return { namespace, ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}), error: "" };
    }
    return { error: "error" in outcome ? String((outcome.error as Error)?.message ?? outcome.error) : "" };
  }
}

/**
 * The operator, declared without decorators: an `OperatorConfig` (roperator's builder) and a
 * handler. The failable handler is wrapped once more to sync again exactly when the parent expires.
 */
export function tempNamespaceOperator(kubeConfig: KubeConfig, now: () => number = Date.now): OperatorDefinition {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const deleteParent = async (name: string) => {
    await api.deleteClusterCustomObject({ group: TEMP_NAMESPACE.group, version: TEMP_NAMESPACE.version, plural: "tempnamespaces", name });
  };
  const inner = failable(new TempNamespaceHandler(deleteParent, now));
  const handler: Handler<KubeObject> = {
    async sync(req) {
      const response = await inner.sync(req);
      const spec = (req.raw.spec ?? {}) as TempNamespaceSpec;
      const created = Date.parse(req.raw.metadata?.creationTimestamp ?? "");
      if (!response.failure && spec.deleteAfterSeconds && created) {
        response.withResyncAfter(Math.max(0, created + spec.deleteAfterSeconds * 1000 - now()) + 50);
      }
      return response;
    },
  };
  const config = new OperatorConfig("temp-namespace", TEMP_NAMESPACE).withChild(NAMESPACE, ChildConfig.onDelete());
  return { config, handler };
}
