import "reflect-metadata";
import { CustomObjectsApi, KubeConfig, type V1ObjectMeta } from "@kubernetes/client-node";
import {
  ChildConfig,
  CustomResource,
  K8sType,
  K8sTypes,
  OperatorConfig,
  defineOperator,
  failable,
  type FailableHandler,
  type Handler,
  type HandlerOutcome,
  type KubeObject,
  type OperatorDefinition,
  type SyncRequest,
} from "tsoperator";

/**
 * The cluster-scoped parent. `@CustomResource` carries its schema and printer columns, so
 * `tsoperator manifests` writes the CRD (samples/temp-namespace/crd.yaml is that output).
 */
@CustomResource({
  apiVersion: "samples.tsoperator.dev/v1",
  kind: "TempNamespace",
  plural: "tempnamespaces",
  namespaced: false,
  schema: {
    spec: {
      type: "object",
      properties: {
        deleteAfterSeconds: { type: "integer", description: "Seconds the namespace lives; the TempNamespace deletes itself afterwards." },
        labels: { type: "object", additionalProperties: { type: "string" } },
      },
    },
    status: {
      type: "object",
      properties: { namespace: { type: "string" }, expiresAt: { type: "string" }, error: { type: "string" } },
    },
  },
  printerColumns: [
    { name: "Namespace", type: "string", jsonPath: ".status.namespace" },
    { name: "Expires", type: "string", jsonPath: ".status.expiresAt" },
    { name: "Error", type: "string", jsonPath: ".status.error" },
  ],
})
export class TempNamespace {
  apiVersion = "samples.tsoperator.dev/v1";
  kind = "TempNamespace";
  metadata!: V1ObjectMeta;
  spec?: TempNamespaceSpec;
  status?: { namespace?: string; expiresAt?: string; error?: string };
}

/** The parent's type, with plural and scope (what the handler's own API call needs). */
export const TEMP_NAMESPACE: K8sType = K8sType.of("samples.tsoperator.dev/v1", "TempNamespace", {
  plural: "tempnamespaces",
  namespaced: false,
});

/** What validation hands to the child step. */
interface Plan {
  namespace: string;
  labels: Record<string, string>;
  /** ms since the epoch; undefined: lives until deleted. */
  expiresAt?: number;
}

/** What a user writes. */
export interface TempNamespaceSpec {
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
 * handler, made one value by `defineOperator`. The failable handler is wrapped once more to sync
 * again exactly when the parent expires. The handler deletes its own parent, which the runtime's
 * rules do not cover: the config declares that extra RBAC rule, and `tsoperator manifests` grants it.
 *
 * `kubeConfig` is the cluster the handler's own calls go to; left out, it is the one `tsoperator
 * run` uses (KUBECONFIG, ~/.kube/config or the in-cluster service account), loaded on first use.
 */
export function tempNamespaceOperator(kubeConfig?: KubeConfig, now: () => number = Date.now): OperatorDefinition<KubeObject> {
  let api: CustomObjectsApi | undefined;
  const deleteParent = async (name: string) => {
    api ??= (kubeConfig ?? defaultKubeConfig()).makeApiClient(CustomObjectsApi);
    await api.deleteClusterCustomObject({
      group: TEMP_NAMESPACE.group,
      version: TEMP_NAMESPACE.version,
      plural: TEMP_NAMESPACE.plural!,
      name,
    });
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
  const config = new OperatorConfig("temp-namespace", TempNamespace)
    .withChild(K8sTypes.Namespace, ChildConfig.onDelete())
    .withRbac([{ apiGroups: [TEMP_NAMESPACE.group], resources: [TEMP_NAMESPACE.plural!], verbs: ["delete"] }]);
  return defineOperator(config, handler);
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/** What `tsoperator run` and `tsoperator manifests` load from this module. */
export const operators = [tempNamespaceOperator()];
