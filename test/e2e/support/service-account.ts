/**
 * Acting as a ServiceAccount in e2e tests: a kubeconfig with a token from the TokenRequest API (what
 * a pod's projected token is), and the namespaced Role + RoleBinding that grant it rules.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient, type ResourceType } from "../../../src/kube/index.js";
import type { LocalControlPlane } from "../../../src/testing/index.js";
import { renderKubeconfig } from "../../../src/testing/control-plane/credentials.js";
import { serviceAccounts } from "./core-types.js";

const roles: ResourceType = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  plural: "roles",
  namespaced: true,
};
const roleBindings: ResourceType = { ...roles, kind: "RoleBinding", plural: "rolebindings" };

/** One RBAC rule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Reading ConfigMaps: get, list and watch. */
export const READ_CONFIGMAPS: PolicyRule = { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] };

/** A kubeconfig for ServiceAccount `namespace/name` on `cp` (a one-hour token the admin requests). */
export async function serviceAccountKubeConfig(
  cp: LocalControlPlane,
  admin: KubeClient,
  namespace: string,
  name: string,
): Promise<KubeConfig> {
  const answer = (await admin.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  })) as { status: { token: string } };
  const kc = new KubeConfig();
  kc.loadFromString(renderKubeconfig(cp.server, cp.caCert, answer.status.token, "tsoperator-local", name));
  return kc;
}

/** Creates Role `name` with `rules` in `namespace` and binds it to ServiceAccount `serviceAccount` there. */
export async function grantRole(
  admin: KubeClient,
  namespace: string,
  name: string,
  rules: PolicyRule[],
  serviceAccount: string,
): Promise<void> {
  await admin.create(roles, { apiVersion: roles.apiVersion, kind: "Role", metadata: { name, namespace }, rules });
  await admin.create(roleBindings, {
    apiVersion: roles.apiVersion,
    kind: "RoleBinding",
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
  });
}

/** Creates ServiceAccount `namespace/name` (no rules yet) and answers a client acting as it (close it after use). */
export async function newServiceAccountClient(
  cp: LocalControlPlane,
  admin: KubeClient,
  namespace: string,
  name: string,
): Promise<KubeClient> {
  await admin.create(serviceAccounts, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
  return KubeClient.fromKubeConfig(await serviceAccountKubeConfig(cp, admin, namespace, name));
}
