/**
 * Command lines of the three control plane processes, as measured to work on loopback
 * (see FACTS.md "Running it on loopback").
 */

/** Inputs for {@link etcdArgs}. */
export interface EtcdFlagInputs {
  dataDir: string;
  clientPort: number;
  peerPort: number;
}

/** etcd: single member on loopback, no fsync (test data only). */
export function etcdArgs(i: EtcdFlagInputs): string[] {
  const client = `http://127.0.0.1:${i.clientPort}`;
  const peer = `http://127.0.0.1:${i.peerPort}`;
  return [
    "--name=default",
    `--data-dir=${i.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

/** Inputs for {@link apiServerArgs}. */
export interface ApiServerFlagInputs {
  etcdClientPort: number;
  securePort: number;
  certDir: string;
  tokenFile: string;
  serviceAccountKeyFile: string;
  serviceClusterIpRange: string;
  extra: string[];
}

/** kube-apiserver: RBAC, a static admin token, self-signed serving certs in `certDir`. */
export function apiServerArgs(i: ApiServerFlagInputs): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${i.etcdClientPort}`,
    `--cert-dir=${i.certDir}`,
    `--secure-port=${i.securePort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    // 1.37 refuses a loopback advertise address with the default endpoint reconciler.
    "--endpoint-reconciler-type=none",
    `--service-cluster-ip-range=${i.serviceClusterIpRange}`,
    "--authorization-mode=RBAC",
    `--token-auth-file=${i.tokenFile}`,
    `--service-account-issuer=https://127.0.0.1:${i.securePort}/`,
    `--service-account-key-file=${i.serviceAccountKeyFile}`,
    `--service-account-signing-key-file=${i.serviceAccountKeyFile}`,
    // No token controller runs, so pods would wait for a service-account token forever.
    "--disable-admission-plugins=ServiceAccount",
    "--allow-privileged=true",
    "--profiling=false",
    ...i.extra,
  ];
}

/** kube-controller-manager: only the garbage collector and the namespace controller. */
export function controllerManagerArgs(kubeconfigPath: string): string[] {
  return [
    `--kubeconfig=${kubeconfigPath}`,
    "--controllers=garbagecollector,namespace",
    "--leader-elect=false",
    "--secure-port=0",
    // The default client limit (20 qps) makes the garbage collector delete ~20 children a second:
    // tests and benchmarks would wait on it. A local control plane has no one to protect.
    "--kube-api-qps=500",
    "--kube-api-burst=1000",
  ];
}
