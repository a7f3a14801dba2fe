import { generateKeyPair, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The admin identity and service-account key of one control plane, written to its temp dir. */
export interface ControlPlaneCredentials {
  /** Bearer token of user "admin" in group system:masters. */
  adminToken: string;
  /** CSV file for --token-auth-file. */
  tokenFile: string;
  /** PEM RSA private key for the service-account flags. */
  serviceAccountKeyFile: string;
  /** Bearer token of each extra user, by user name. */
  userTokens: Map<string, string>;
}

/** A user besides "admin" that the control plane authenticates by a static token. */
export interface ControlPlaneUser {
  /** The user name (what RBAC and the audit log see). */
  name: string;
  /** Groups of the user. Default `["system:masters"]` (all rights, a user of its own in audit logs). */
  groups?: string[];
}

/** Starts generating an RSA service-account key (PEM) off the main thread. */
export async function generateServiceAccountKey(): Promise<string> {
  const { privateKey } = await promisify(generateKeyPair)("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}

/** Writes a random admin token and the service-account key as the files the apiserver reads. */
export async function writeCredentials(
  dir: string,
  serviceAccountKeyPem: string,
  users: readonly ControlPlaneUser[] = [],
): Promise<ControlPlaneCredentials> {
  const adminToken = randomBytes(24).toString("hex");
  const tokenFile = join(dir, "tokens.csv");
  const serviceAccountKeyFile = join(dir, "sa.key");
  const userTokens = new Map<string, string>();
  const lines = [`${adminToken},admin,admin-uid,"system:masters"`];
  for (const user of users) {
    if (user.name === "admin" || userTokens.has(user.name) || !/^[\w.:@-]+$/.test(user.name)) {
      throw new Error(`tsoperator: invalid or duplicate control plane user name ${JSON.stringify(user.name)}`);
    }
    const token = randomBytes(24).toString("hex");
    userTokens.set(user.name, token);
    lines.push(`${token},${user.name},${user.name}-uid,"${(user.groups ?? ["system:masters"]).join(",")}"`);
  }
  await Promise.all([
    writeFile(tokenFile, lines.join("\n") + "\n", { mode: 0o600 }),
    writeFile(serviceAccountKeyFile, serviceAccountKeyPem, { mode: 0o600 }),
  ]);
  return { adminToken, tokenFile, serviceAccountKeyFile, userTokens };
}

/** A kubeconfig (YAML) for the admin user of a local control plane. */
export function renderKubeconfig(server: string, caCertPem: string, token: string, name = "tsoperator-local", user = "admin"): string {
  const caData = Buffer.from(caCertPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${name}`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${caData}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    `- name: ${name}`,
    "  context:",
    `    cluster: ${name}`,
    `    user: ${user}`,
    "    namespace: default",
    `current-context: ${name}`,
    "",
  ].join("\n");
}
