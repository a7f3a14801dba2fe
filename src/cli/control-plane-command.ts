import { ensureControlPlaneBinaries } from "../testing/control-plane/binaries.js";
import { LocalControlPlane } from "../testing/control-plane/local-control-plane.js";
import { UsageError, type CliCommand } from "./command.js";
import { waitForSignal } from "./wait-for-signal.js";

const HELP = `Usage: tsoperator control-plane [--build-only] [--no-controller-manager]

Starts a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager) on
127.0.0.1, prints its kubeconfig path, and runs until Ctrl-C.

The binaries come from $KUBEBUILDER_ASSETS, else the cache
($TSOPERATOR_CACHE_DIR, $XDG_CACHE_HOME/tsoperator or ~/.cache/tsoperator); when absent they are
built once from the Go modules shipped with tsoperator (needs Go >= 1.26, ~5 minutes).

Options:
  --build-only               make sure the binaries exist, print their directory, exit
  --no-controller-manager    do not run kube-controller-manager (no garbage collection)
  -h, --help                 show this help
`;

/** `tsoperator control-plane`: run a local control plane, or just build its binaries. */
export const controlPlaneCommand: CliCommand = {
  name: "control-plane",
  summary: "run a local Kubernetes control plane (or --build-only its binaries)",
  help: HELP,
  async run(args) {
    const known = new Set(["--build-only", "--no-controller-manager"]);
    const unknown = args.find((a) => !known.has(a));
    if (unknown) throw new UsageError(`unknown option ${unknown}`);

    if (args.includes("--build-only")) {
      const binaries = await ensureControlPlaneBinaries();
      for (const note of binaries.notes) process.stderr.write(`tsoperator: ${note}\n`);
      process.stdout.write(`${binaries.dir}\n`);
      return 0;
    }

    const started = Date.now();
    const cp = await LocalControlPlane.start({ controllerManager: !args.includes("--no-controller-manager") });
    for (const note of cp.binaries.notes) process.stderr.write(`tsoperator: ${note}\n`);
    const { kubernetes, etcd } = cp.version;
    process.stdout.write(
      [
        `Kubernetes ${kubernetes} (etcd ${etcd}) is up at ${cp.server} after ${Date.now() - started} ms`,
        `kubeconfig: ${cp.kubeconfigPath}`,
        `logs:       ${cp.logDir}`,
        "",
        `  KUBECONFIG=${cp.kubeconfigPath} kubectl get ns`,
        "",
        "Press Ctrl-C to stop.",
        "",
      ].join("\n"),
    );
    await waitForSignal();
    process.stderr.write("tsoperator: stopping the control plane...\n");
    await cp.stop();
    return 0;
  },
};
