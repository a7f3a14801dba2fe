/**
 * Least-privilege RBAC for an operator: exactly the verbs the runtime sends, per resource. The
 * verbs follow the code that writes (src/controller/):
 * - informer: list + watch of every parent and child type (get is granted with them: read-only);
 * - finalizers.ts: merge PATCH of the parent's metadata.finalizers (only with `@Finalize`);
 * - status-writer.ts: server-side apply (PATCH) of `<plural>/status`;
 * - child-writer.ts, per update strategy: Apply → PATCH and DELETE (pruning), plus `create`: a
 *   server-side apply that creates the object is a PATCH, but the apiserver authorizes it as
 *   create too (measured: without it, "cannot create resource"); Replace → POST, PUT, DELETE;
 *   Recreate and OnDelete → POST, DELETE; a child whose create finds its name taken is looked up (GET);
 *   adoption (`adopt`) → PATCH (merge) of the found object;
 * - ownership.ts sets `blockOwnerDeletion` on children, which the OwnerReferencesPermissionEnforcement
 *   admission plugin allows only with `update` on `<parent plural>/finalizers`;
 * - event-recorder.ts: POST of core/v1 Events, merge PATCH to aggregate repeats;
 * - leader-election.ts: GET, POST, PUT of one coordination.k8s.io Lease;
 * - related types and the types of indexes (related-sources.ts): list + watch (get with them),
 *   never a write: related objects are read only.
 * The rules an operator declares for its handler's own calls (`OperatorConfig.rbac`) follow.
 */
import { K8sType } from "../core/k8s-type.js";
import type { OperatorConfig, PolicyRule } from "../api/operator-config.js";
import { UpdateStrategy } from "../core/update-strategy.js";
import type { KubeObject } from "../core/kube-object.js";
import { pluralOf } from "./type-names.js";

export type { PolicyRule };

const READ = ["get", "list", "watch"];
const EVENT_TYPE = K8sType.of("v1", "Event", { plural: "events", namespaced: true });

/** The write verbs a child type needs under each update strategy. */
export const CHILD_WRITE_VERBS: Readonly<Record<UpdateStrategy, readonly string[]>> = Object.freeze({
  [UpdateStrategy.Apply]: ["create", "patch", "delete"],
  [UpdateStrategy.Replace]: ["create", "update", "delete"],
  [UpdateStrategy.Recreate]: ["create", "delete"],
  [UpdateStrategy.OnDelete]: ["create", "delete"],
});

/** Verb order in generated rules: reads first, then writes, as kubectl describes them. */
const VERB_ORDER = ["get", "list", "watch", "create", "update", "patch", "delete"];

function sortVerbs(verbs: Iterable<string>): string[] {
  return [...new Set(verbs)].sort((a, b) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b));
}

/**
 * The rules one operator needs. Rules for the same API group with the same verbs are merged, so
 * the role reads like a table: one line per (group, verbs). The operator's own extra rules
 * (`config.rbac`) come last, as declared.
 */
export function operatorRules(config: OperatorConfig): PolicyRule[] {
  const grants = new Map<string, { group: string; resource: string; verbs: Set<string> }>();
  const grant = (type: K8sType, suffix: string, verbs: readonly string[]) => {
    const resource = pluralOf(type) + suffix;
    const key = `${type.group}/${resource}`;
    const entry = grants.get(key) ?? { group: type.group, resource, verbs: new Set<string>() };
    for (const v of verbs) entry.verbs.add(v);
    grants.set(key, entry);
  };

  grant(config.parent, "", config.finalizeEnabled ? [...READ, "patch"] : READ);
  grant(config.parent, "/status", ["patch"]);
  if (config.children.length > 0) grant(config.parent, "/finalizers", ["update"]);
  for (const child of config.children) {
    // Adoption is a merge patch of the found object's labels and ownerReferences.
    grant(child.type, "", [...READ, ...CHILD_WRITE_VERBS[child.updateStrategy], ...(child.adopt ? ["patch"] : [])]);
  }
  // Related and indexed types are read, never written.
  for (const { type } of [...config.related, ...config.indexes]) grant(type, "", READ);
  grant(EVENT_TYPE, "", ["create", "patch"]);

  const merged = new Map<string, PolicyRule>();
  for (const { group, resource, verbs } of grants.values()) {
    const sorted = sortVerbs(verbs);
    const key = `${group}|${sorted.join(",")}`;
    const rule = merged.get(key) ?? { apiGroups: [group], resources: [], verbs: sorted };
    rule.resources.push(resource);
    merged.set(key, rule);
  }
  const declared = config.rbac.map((r) => copyRule(r)).filter((r) => ![...merged.values()].some((m) => sameRule(m, r)));
  return [...merged.values(), ...declared];
}

function copyRule(rule: PolicyRule): PolicyRule {
  return {
    apiGroups: [...rule.apiGroups],
    resources: [...rule.resources],
    verbs: [...rule.verbs],
    ...(rule.resourceNames ? { resourceNames: [...rule.resourceNames] } : {}),
  };
}

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return JSON.stringify(copyRule(a)) === JSON.stringify(copyRule(b));
}

/** The rules leader election needs: create Leases, read and renew only the named one. */
export function leaderElectionRules(leaseName: string): PolicyRule[] {
  return [
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "update"], resourceNames: [leaseName] },
  ];
}

const MANAGED_BY = { "app.kubernetes.io/managed-by": "tsoperator" };

/** Where a role applies and who gets it. */
export interface RoleBindingTarget {
  /** Name of the Role/ClusterRole and its binding. */
  name: string;
  /** A Role in this namespace; a ClusterRole when undefined. */
  namespace?: string;
  serviceAccount: { name: string; namespace: string };
}

/** A Role (namespace given) or ClusterRole holding `rules`, and the binding to the service account. */
export function roleWithBinding(target: RoleBindingTarget, rules: readonly PolicyRule[]): [KubeObject, KubeObject] {
  const cluster = target.namespace === undefined;
  const metadata = cluster
    ? { name: target.name, labels: MANAGED_BY }
    : { name: target.name, namespace: target.namespace, labels: MANAGED_BY };
  const role: KubeObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: cluster ? "ClusterRole" : "Role",
    metadata,
    rules: rules.map((r) => ({ ...r })),
  };
  const binding: KubeObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: cluster ? "ClusterRoleBinding" : "RoleBinding",
    metadata: { ...metadata },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: role.kind, name: target.name },
    subjects: [{ kind: "ServiceAccount", name: target.serviceAccount.name, namespace: target.serviceAccount.namespace }],
  };
  return [role, binding];
}
