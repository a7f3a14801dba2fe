/**
 * Loading a kubeconfig for the runtime (stub: client-node's loader as the runtime uses it today).
 */
import { KubeConfig } from "@kubernetes/client-node";

/** Options of {@link loadKubeConfig}. */
export interface LoadKubeConfigOptions {
  /** A kubeconfig file; default: KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  path?: string;
}

/** Loads a kubeconfig file, or the default one. */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (options.path !== undefined) kc.loadFromFile(options.path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error(
      "no Kubernetes cluster configured: set KUBECONFIG, create ~/.kube/config, run in a pod with a service account, " +
        "or pass { kubeConfig } to runOperators (tsoperator/testing's LocalControlPlane gives one for local runs)",
    );
  }
  return kc;
}
