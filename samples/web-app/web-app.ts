import "reflect-metadata";
import type { V1Deployment, V1ObjectMeta } from "@kubernetes/client-node";
import { injectable } from "tsyringe";
import {
  CustomResource,
  K8sTypes,
  Operator,
  Sync,
  SyncResponse,
  Validator,
  allowed,
  defineConversion,
  defineDefaulter,
  denied,
  type CustomValidator,
  type SyncRequest,
  type ValidationResult,
} from "tsoperator";

/** The spec of the current version, v2 (v1 called `replicas` `instances`). */
export interface WebAppSpec {
  image: string;
  replicas?: number;
  port?: number;
}

/**
 * A web application: a Deployment and a Service. Served as v2 (this class; stored) and v1 (older
 * clients); the conversion webhook below turns one into the other. The CEL rule is enforced by the
 * API server itself, before any webhook runs.
 */
@CustomResource({
  apiVersion: "samples.tsoperator.dev/v2",
  kind: "WebApp",
  schema: {
    spec: {
      type: "object",
      required: ["image"],
      properties: { image: { type: "string" }, replicas: { type: "integer", minimum: 0 }, port: { type: "integer" } },
      "x-kubernetes-validations": [
        {
          rule: "!has(self.port) || (self.port >= 1024 && self.port <= 65535)",
          message: "spec.port must be 1024-65535 (the pod runs as non-root)",
        },
      ],
    },
    status: { type: "object", properties: { replicas: { type: "integer" } } },
  },
  versions: [
    {
      name: "v1",
      schema: {
        spec: {
          type: "object",
          required: ["image"],
          properties: { image: { type: "string" }, instances: { type: "integer" }, port: { type: "integer" } },
        },
      },
    },
  ],
  printerColumns: [
    { name: "Image", type: "string", jsonPath: ".spec.image" },
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
  ],
})
export class WebApp {
  apiVersion = "samples.tsoperator.dev/v2";
  kind = "WebApp";
  metadata!: V1ObjectMeta;
  spec!: WebAppSpec;
  status?: { replicas?: number };
}

/** Which images may run: a service of your own, injected into the validator. */
@injectable()
export class ImagePolicy {
  readonly registries = ["docker.io/", "ghcr.io/", "registry.k8s.io/", "quay.io/"];

  /** Why an image may not run, or undefined. */
  problemWith(image: string): string | undefined {
    const name = image.split("@")[0]!;
    if (!image.includes("@") && !/:[\w][\w.-]*$/.test(name.slice(name.lastIndexOf("/") + 1))) {
      return `spec.image "${image}" must name a tag or a digest (e.g. nginx:1.27)`;
    }
    if (name.includes("/") && name.split("/")[0]!.includes(".") && !this.registries.some((r) => image.startsWith(r))) {
      return `spec.image "${image}" is not from an allowed registry (${this.registries.join(", ")})`;
    }
    return undefined;
  }
}

/** Validation: on create the image; on update also that the port stays (clients hold it). */
@Validator({ type: WebApp })
export class WebAppValidator implements CustomValidator<WebApp> {
  constructor(private readonly images: ImagePolicy) {}

  validateCreate(app: WebApp): ValidationResult {
    const problem = this.images.problemWith(app.spec.image);
    if (problem) return denied(problem);
    return app.spec.image.endsWith(":latest") ? allowed(`${app.spec.image}: a :latest image changes under you; pin a version`) : allowed();
  }

  validateUpdate(app: WebApp, old: WebApp): ValidationResult {
    if (app.spec.port !== old.spec.port) {
      return denied(`spec.port cannot change (${old.spec.port} → ${app.spec.port}): clients hold the old port; create a new WebApp`);
    }
    return this.validateCreate(app);
  }
}

/** Defaulting: one replica on port 8080 unless said otherwise. */
export const webAppDefaults = defineDefaulter<WebApp>({ type: WebApp }, (app) => {
  app.spec.replicas ??= 1;
  app.spec.port ??= 8080;
});

/** v1 ⇄ v2 (the hub): `instances` is `replicas`. */
export const webAppConversion = defineConversion({
  type: WebApp,
  hub: "v2",
  spokes: {
    v1: {
      toHub: (v1) => {
        const { instances, ...spec } = v1.spec as { instances?: number };
        return { ...v1, spec: { ...spec, ...(instances !== undefined ? { replicas: instances } : {}) } };
      },
      fromHub: (v2) => {
        const { replicas, ...spec } = v2.spec as WebAppSpec;
        return { ...v2, spec: { ...spec, ...(replicas !== undefined ? { instances: replicas } : {}) } };
      },
    },
  },
});

/** WebApp → a Deployment and a Service `<name>`. */
@Operator({ name: "web-app", parent: WebApp, children: [{ type: K8sTypes.Deployment }, { type: K8sTypes.Service }] })
export class WebAppOperator {
  @Sync()
  sync(req: SyncRequest<WebApp>): SyncResponse {
    const name = req.parent.metadata.name!;
    const { image, replicas = 1, port = 8080 } = req.parent.spec;
    const labels = { "app.kubernetes.io/name": name };
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, labels },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "app", image, ports: [{ containerPort: port }] }] } },
      },
    };
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, labels },
      spec: { selector: labels, ports: [{ port: 80, targetPort: port }] },
    };
    return SyncResponse.of({ replicas: req.children.ofType<V1Deployment>(K8sTypes.Deployment).first()?.status?.replicas ?? 0 })
      .withChild(deployment)
      .withChild(service);
  }
}

/** What `tsoperator run`, `dev` and `manifests` serve and generate. */
export const operators = [WebAppOperator];
/** The module's webhooks (`tsoperator run` serves them; `manifests` writes their configurations). */
export const webhooks = [WebAppValidator, webAppDefaults, webAppConversion];
