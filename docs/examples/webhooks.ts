// docs/examples/webhooks.ts — validate, default and convert a custom resource.
import "reflect-metadata";
import type { V1ObjectMeta } from "@kubernetes/client-node";
import {
  CustomResource,
  Validator,
  allowed,
  defineConversion,
  defineDefaulter,
  defineValidator,
  denied,
  runOperators,
  type AdmissionContext,
  type CustomValidator,
  type ValidationResult,
} from "tsoperator";

/** v2 is the class (stored, and the hub of conversions); v1 called `size` `replicas`. */
@CustomResource({
  apiVersion: "example.com/v2",
  kind: "Cache",
  schema: {
    spec: {
      type: "object",
      required: ["size"],
      properties: { size: { type: "integer" }, tier: { type: "string", default: "standard" } },
      // Enforced by the API server itself: no webhook needed for rules CEL can say.
      "x-kubernetes-validations": [{ rule: "self.size <= 64", message: "size must be at most 64" }],
    },
  },
  versions: [{ name: "v1", schema: { spec: { type: "object", properties: { replicas: { type: "integer" }, tier: { type: "string" } } } } }],
})
export class Cache {
  metadata!: V1ObjectMeta;
  spec!: { size: number; tier?: string; evictionPolicy?: string };
}

/** Your own service, injected into the validator like into an operator. */
export class Quotas {
  maxSizeFor(namespace: string | undefined): number {
    return namespace === "prod" ? 64 : 8;
  }
}

@Validator({ type: Cache })
export class CacheValidator implements CustomValidator<Cache> {
  constructor(private readonly quotas: Quotas) {}

  validateCreate(cache: Cache, context: AdmissionContext): ValidationResult {
    const max = this.quotas.maxSizeFor(context.request.namespace);
    if (cache.spec.size > max) return denied(`spec.size ${cache.spec.size} is above the quota of this namespace (${max})`);
    return cache.spec.size === max ? allowed("this cache uses the whole quota") : allowed();
  }

  validateUpdate(cache: Cache, old: Cache, context: AdmissionContext): ValidationResult {
    if (cache.spec.size < old.spec.size) return denied("spec.size may not shrink: the data would not fit");
    return this.validateCreate(cache, context);
  }
}

/** Defaulting as a plain function: change the object (or return a new one); the framework sends the patch. */
export const cacheDefaults = defineDefaulter<Cache>({ type: Cache }, (cache) => {
  cache.spec.evictionPolicy ??= "lru";
});

/** Validation as plain functions, here of a built-in kind, admitted when the webhook is down. */
export const noSecretsInConfigMaps = defineValidator(
  { type: { apiVersion: "v1", kind: "ConfigMap" }, failurePolicy: "Ignore" },
  {
    validateCreate: (cm) => (Object.keys((cm.data as object | undefined) ?? {}).includes("password") ? denied("use a Secret") : undefined),
  },
);

/** v1 ⇄ v2 through the hub v2: every version converts to the hub and back. */
export const cacheConversion = defineConversion({
  type: Cache,
  hub: "v2",
  spokes: {
    v1: {
      toHub: ({ spec, ...rest }) => {
        const { replicas, ...others } = spec as { replicas: number };
        return { ...rest, spec: { ...others, size: replicas } };
      },
      fromHub: ({ spec, ...rest }) => {
        const { size, ...others } = spec as { size: number };
        return { ...rest, spec: { ...others, replicas: size } };
      },
    },
  },
});

/** What `tsoperator run` / `manifests` pick up from the module. */
export const webhooks = [CacheValidator, cacheDefaults, noSecretsInConfigMaps, cacheConversion];

/** Serve them (with or without operators) from your own entry point. */
export async function main(): Promise<void> {
  const runtime = await runOperators([], { webhooks, webhookServer: { port: 9443, certDir: "/tmp/k8s-webhook-server/serving-certs" } });
  await runtime.done;
}
