/**
 * How generated manifests are laid out as files (pure: names and texts, the CLI writes them):
 * - `plainFiles`: the numbered files of `tsoperator manifests --out` (00-namespace … 05-monitoring);
 * - `kustomizeFiles`: a kustomize base, one file per object plus a `kustomization.yaml` listing them
 *   in apply order. It is rendered here, without the kustomize binary: a base with only `resources`
 *   needs no transformation, so the objects kustomize builds from it are exactly `allObjects` (the
 *   same source of truth as the plain stream, checked in test/unit/manifests/layout.test.ts), and
 *   overlays (image, replicas, namespace, patches) stay the user's, in kustomize's own terms.
 * Both are byte-stable: the same manifests give the same files.
 */
import { stringify } from "yaml";
import type { KubeObject } from "../core/kube-object.js";
import { allObjects, toYaml, type GeneratedManifests } from "./generate.js";

/** A file to write: its name (relative to the output directory) and its text. */
export type ManifestFile = readonly [name: string, text: string];

/** The numbered files of `--out`: namespace, CRDs, RBAC, Deployment (+ Service, PDB, NetworkPolicy), webhooks, monitoring. */
export function plainFiles(manifests: GeneratedManifests): ManifestFile[] {
  const files: ManifestFile[] = [];
  if (manifests.namespace) files.push(["00-namespace.yaml", toYaml([manifests.namespace])]);
  if (manifests.crds.length > 0) files.push(["01-crds.yaml", toYaml(manifests.crds)]);
  if (manifests.rbac.length > 0) files.push(["02-rbac.yaml", toYaml(manifests.rbac)]);
  if (manifests.deployment) files.push(["03-deployment.yaml", toYaml([manifests.deployment, ...(manifests.workload ?? [])])]);
  if (manifests.webhooks?.length) files.push(["04-webhooks.yaml", toYaml(manifests.webhooks)]);
  if (manifests.monitoring?.length) files.push(["05-monitoring.yaml", toYaml(manifests.monitoring)]);
  return files;
}

/** `deployment-echo-operator.yaml`, `role-tsoperator-echo-demo.yaml`: kind, name and (for Roles per namespace) namespace. */
function fileNameOf(obj: KubeObject, taken: Set<string>): string {
  const base = [obj.kind!.toLowerCase(), obj.metadata?.name ?? "unnamed"].join("-").replace(/[^a-z0-9.-]/gi, "-");
  let name = `${base}.yaml`;
  if (taken.has(name) && obj.metadata?.namespace) name = `${base}-${obj.metadata.namespace}.yaml`;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}.yaml`;
  taken.add(name);
  return name;
}

/** A kustomize base: one file per object, and `kustomization.yaml` listing them in apply order. */
export function kustomizeFiles(manifests: GeneratedManifests): ManifestFile[] {
  const taken = new Set<string>(["kustomization.yaml"]);
  const files = allObjects(manifests).map((obj): ManifestFile => [fileNameOf(obj, taken), toYaml([obj])]);
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: files.map(([name]) => name),
  };
  return [["kustomization.yaml", stringify(kustomization, { lineWidth: 0 })], ...files];
}
