import "reflect-metadata";
import type { V1ObjectMeta, V1Secret } from "@kubernetes/client-node";
import { CustomResource, K8sTypes, Operator, Sync, SyncResponse, UpdateStrategy, index, type SyncRequest } from "tsoperator";

/** The label a credentials Secret carries: the operator caches only Secrets with it (see `cache` below). */
export const CREDENTIALS_LABEL = "samples.tsoperator.dev/credentials";

/**
 * A database a team connects to. Its spec names a Secret holding `username` and `password`, which
 * someone else writes and rotates (the CRD, samples/database-credentials/crd.yaml, is `tsoperator
 * manifests` output).
 */
@CustomResource({
  apiVersion: "samples.tsoperator.dev/v1",
  kind: "Database",
  schema: {
    spec: {
      type: "object",
      required: ["host", "credentialsSecret"],
      properties: {
        host: { type: "string" },
        database: { type: "string", default: "app" },
        credentialsSecret: { type: "string", description: "A Secret in the same namespace with username and password." },
      },
    },
    status: {
      type: "object",
      properties: { ready: { type: "boolean" }, message: { type: "string" }, credentialsVersion: { type: "string" } },
    },
  },
  printerColumns: [
    { name: "Ready", type: "boolean", jsonPath: ".status.ready" },
    { name: "Message", type: "string", jsonPath: ".status.message" },
  ],
})
export class Database {
  apiVersion = "samples.tsoperator.dev/v1";
  kind = "Database";
  metadata!: V1ObjectMeta;
  spec!: { host: string; database?: string; credentialsSecret: string };
  status?: { ready?: boolean; message?: string; credentialsVersion?: string };
}

/** Which Databases use a Secret (an index over the parents): "who else breaks if I delete it?". */
export const byCredentials = index(Database, "by-credentials", (db) => db.spec?.credentialsSecret);

/**
 * Database → a Secret `<name>-connection` holding the connection URL built from the credentials
 * Secret it names. The credentials Secret is a related object: read from the cache, never written;
 * when it is rotated or deleted, exactly the Databases that name it are synced again.
 */
@Operator({
  name: "database-credentials",
  parent: Database,
  children: [{ type: K8sTypes.Secret, update: UpdateStrategy.Replace }],
  related: [
    {
      type: K8sTypes.Secret,
      names: (db: Database) => db.spec.credentialsSecret,
      // Memory: cache only the Secrets labelled as credentials, not every Secret of the cluster.
      cache: { labelSelector: { matchLabels: { [CREDENTIALS_LABEL]: "true" } } },
    },
  ],
  indexes: [byCredentials],
})
export class DatabaseCredentialsOperator {
  @Sync()
  sync(req: SyncRequest<Database>): SyncResponse {
    const db = req.parent;
    const secretName = db.spec.credentialsSecret;
    const credentials = req.related.ofType<V1Secret>(K8sTypes.Secret).get(secretName);
    const username = decode(credentials?.data?.username);
    const password = decode(credentials?.data?.password);
    if (!credentials || !username || !password) {
      // No child: a connection Secret written earlier is removed, so nobody connects with old credentials.
      const message = credentials
        ? `Secret ${secretName} needs username and password`
        : `Secret ${secretName} not found (or not labelled ${CREDENTIALS_LABEL}=true)`;
      return SyncResponse.of({ ready: false, message });
    }
    const users = req.lookup(byCredentials, secretName, db.metadata.namespace).length;
    const url = `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${db.spec.host}/${db.spec.database ?? "app"}`;
    const connection: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${db.metadata.name}-connection` },
      data: { url: Buffer.from(url).toString("base64") },
    };
    return SyncResponse.of({
      ready: true,
      message: users > 1 ? `credentials shared with ${users - 1} other database(s)` : "connected",
      credentialsVersion: credentials.metadata?.resourceVersion ?? "",
    }).withChild(connection);
  }
}

function decode(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, "base64").toString();
}
