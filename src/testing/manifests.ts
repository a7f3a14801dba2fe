import { setTimeout as sleep } from "node:timers/promises";
import { readFile } from "node:fs/promises";
import { parseAllDocuments } from "yaml";
import type { KubeClient } from "../kube/client.js";
import type { Discovery } from "../kube/discovery.js";
import type { KubeObject } from "../core/kube-object.js";
import { isAlreadyExists, isNotFound } from "../kube/errors.js";

/** Reads every YAML document of a file as wire objects (never through client-node's models, which drop keys). */
export async function readManifests(path: string): Promise<KubeObject[]> {
  const text = await readFile(path, "utf8");
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((obj): obj is KubeObject => obj !== null && typeof obj === "object");
}

/**
 * Applies manifests with server-side apply; CRDs are waited for until Established and until their
 * resources are served (the apiserver answers 404 for ~2 s after Established). Returns how many
 * CRDs did not exist before.
 */
export async function applyManifests(
  client: KubeClient,
  discovery: Discovery,
  objects: readonly KubeObject[],
  fieldManager = "tsoperator-testing",
): Promise<{ newCrds: number }> {
  let newCrds = 0;
  for (const obj of objects) {
    const type = await discovery.resolve(obj.apiVersion ?? "", obj.kind ?? "");
    if (obj.kind === "CustomResourceDefinition" && !(await client.get(type, undefined, obj.metadata?.name ?? ""))) newCrds++;
    await client.apply(type, obj, { fieldManager, force: true });
  }
  for (const obj of objects) {
    if (obj.kind === "CustomResourceDefinition") await waitForCrd(client, discovery, obj);
  }
  return { newCrds };
}

async function waitForCrd(client: KubeClient, discovery: Discovery, crd: KubeObject): Promise<void> {
  const spec = crd.spec as {
    group: string;
    names: { kind: string; plural: string };
    scope: string;
    versions: { name: string; served: boolean }[];
  };
  const type = await discovery.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition");
  const deadline = Date.now() + 30_000;
  for (;;) {
    const current = await client.get(type, undefined, crd.metadata?.name ?? "");
    const conditions = (current?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    if (conditions.some((c) => c.type === "Established" && c.status === "True")) break;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata?.name} did not become Established within 30 s`);
    await sleep(50);
  }
  const version = spec.versions.find((v) => v.served)?.name ?? spec.versions[0]!.name;
  const resource = {
    group: spec.group,
    version,
    apiVersion: `${spec.group}/${version}`,
    kind: spec.names.kind,
    plural: spec.names.plural,
    namespaced: spec.scope === "Namespaced",
  };
  for (;;) {
    try {
      await client.list(resource, { limit: 1 });
      break;
    } catch (error) {
      if (!isNotFound(error) || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
  discovery.invalidate(resource.apiVersion);
}

/** Creates a namespace; an existing one is fine. */
export async function ensureNamespace(client: KubeClient, discovery: Discovery, name: string): Promise<void> {
  const type = await discovery.resolve("v1", "Namespace");
  try {
    await client.create(type, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}
