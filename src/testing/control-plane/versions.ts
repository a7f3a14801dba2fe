/**
 * The versions of the local control plane, in one place. Bumping them also means bumping the
 * Go modules under `controlplane/` (see controlplane/README.md).
 */

/** Kubernetes version of kube-apiserver and kube-controller-manager built from `controlplane/kube`. */
export const KUBERNETES_VERSION = "v1.37.2";

/** etcd server version built from `controlplane/etcd`. */
export const ETCD_VERSION = "v3.6.16";

/** The minimum Go version that builds the control plane modules. */
export const MINIMUM_GO_VERSION = "1.26";

/** Name of the per-version cache directory, e.g. `kubernetes-v1.37.2-etcd-v3.6.16`. */
export const CONTROL_PLANE_CACHE_KEY = `kubernetes-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}`;

/** The versions a control plane runs. */
export interface ControlPlaneVersions {
  kubernetes: string;
  etcd: string;
}

/** The versions this package builds and expects. */
export const CONTROL_PLANE_VERSIONS: Readonly<ControlPlaneVersions> = Object.freeze({
  kubernetes: KUBERNETES_VERSION,
  etcd: ETCD_VERSION,
});
