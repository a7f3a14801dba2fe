import "reflect-metadata";
import type { V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import {
  CustomResource,
  Finalize,
  FinalizeResponse,
  K8sTypes,
  Operator,
  Sync,
  SyncResponse,
  UpdateStrategy,
  type SyncRequest,
} from "tsoperator";

/** The spec a user writes: the text to echo and the port to serve it on. */
export interface EchoServerSpec {
  message: string;
  port?: number;
}

/** What the operator reports back. */
export interface EchoServerStatus {
  ready: boolean;
  podPhase: string;
  serviceName: string;
}

/**
 * The custom resource. `@CustomResource` carries its schema, so `tsoperator manifests` writes
 * the CRD (samples/echo-server/crd.yaml is that output; a unit test keeps the two equal).
 */
@CustomResource({
  apiVersion: "samples.tsoperator.dev/v1",
  kind: "EchoServer",
  plural: "echoservers",
  namespaced: true,
  schema: {
    spec: {
      type: "object",
      required: ["message"],
      properties: {
        message: { type: "string", minLength: 1 },
        port: { type: "integer", minimum: 1, maximum: 65535, default: 8080 },
      },
    },
    status: {
      type: "object",
      properties: { ready: { type: "boolean" }, podPhase: { type: "string" }, serviceName: { type: "string" } },
    },
  },
  printerColumns: [
    { name: "Message", type: "string", jsonPath: ".spec.message" },
    { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
    { name: "Pod", type: "string", jsonPath: ".status.podPhase" },
  ],
  shortNames: ["echo"],
})
export class EchoServer {
  apiVersion = "samples.tsoperator.dev/v1";
  kind = "EchoServer";
  metadata!: V1ObjectMeta;
  spec!: EchoServerSpec;
  status?: EchoServerStatus;
}

/** Where the echo image comes from; injected, so tests and clusters can choose their own. */
export class ImageCatalog {
  echoImage(): string {
    return process.env.ECHO_IMAGE ?? "hashicorp/http-echo:1.0";
  }
}

/**
 * EchoServer → a Pod running http-echo (Recreate: a pod's spec cannot be changed in place) and a
 * Service in front of it (server-side apply). The status says whether the pod runs.
 */
@Operator({
  name: "echo-server",
  parent: EchoServer,
  children: [{ type: K8sTypes.Pod, update: UpdateStrategy.Recreate }, { type: K8sTypes.Service }],
})
export class EchoServerOperator {
  constructor(private readonly images: ImageCatalog) {}

  @Sync()
  sync(req: SyncRequest<EchoServer>): SyncResponse {
    const echo = req.parent;
    const name = echo.metadata.name!;
    const port = echo.spec.port ?? 8080;
    const pod = req.children.ofType<V1Pod>(K8sTypes.Pod).first();
    const phase = pod?.status?.phase ?? "Pending";
    return SyncResponse.of({ ready: phase === "Running", podPhase: phase, serviceName: name })
      .withChild({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels: { app: name } },
        spec: {
          containers: [
            {
              name: "echo",
              image: this.images.echoImage(),
              args: [`-text=${echo.spec.message}`, `-listen=:${port}`],
              ports: [{ containerPort: port, name: "http" }],
            },
          ],
        },
      })
      .withChild({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: port }] },
      });
  }

  @Finalize()
  finalize(_req: SyncRequest<EchoServer>): FinalizeResponse {
    // Nothing outside the cluster to clean up; the garbage collector removes the children.
    return FinalizeResponse.done();
  }
}
