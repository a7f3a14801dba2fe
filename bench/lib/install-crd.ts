/** Installs the benchmark's BenchParent CRD on a fresh control plane (the benchmark, the fault suite and the soak). */
import { KubernetesObjectApi, loadYaml, type KubernetesObject } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalControlPlane } from "../../src/testing/index.js";
import type { KubeHttp } from "./kube-http.js";
import { repoRoot } from "./peers.js";
import { PARENT_API_VERSION, PARENT_PLURAL } from "./workload.js";

/** Installs the CRD and waits until its resources answer (they 404 for ~2 s after Established). */
export async function installCrd(cp: LocalControlPlane, http: KubeHttp): Promise<void> {
  const crd = loadYaml<KubernetesObject>(readFileSync(join(repoRoot(), "bench", "crd.yaml"), "utf8"));
  await KubernetesObjectApi.makeApiClient(cp.kubeConfig).create(crd);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await http.send("GET", `/apis/${PARENT_API_VERSION}/namespaces/default/${PARENT_PLURAL}?limit=1`);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
