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
export async function writeCredentials(dir: string, serviceAccountKeyPem: string): Promise<ControlPlaneCredentials> {
  const adminToken = randomBytes(24).toString("hex");
  const tokenFile = join(dir, "tokens.csv");
  const serviceAccountKeyFile = join(dir, "sa.key");
  await Promise.all([
    writeFile(tokenFile, `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 }),
    writeFile(serviceAccountKeyFile, serviceAccountKeyPem, { mode: 0o600 }),
  ]);
  return { adminToken, tokenFile, serviceAccountKeyFile };
}

/** A kubeconfig (YAML) for the admin user of a local control plane. */
export function renderKubeconfig(server: string, caCertPem: string, token: string, name = "tsoperator-local"): string {
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
    "- name: admin",
    "  user:",
    `    token: ${token}`,
    "contexts:",
    `- name: ${name}`,
    "  context:",
    `    cluster: ${name}`,
    "    user: admin",
    "    namespace: default",
    `current-context: ${name}`,
    "",
  ].join("\n");
}
