import { runOperators } from "../runner/run-operators.js";
import type { RunOptions } from "../runner/run-options.js";
import { choiceOption, intOption, namespaceOption, onePositional, parseCommandArgs } from "./args.js";
import type { CliCommand } from "./command.js";
import { loadOperators } from "./load-operators.js";

const HELP = `Usage: tsoperator run <module> [options]

Runs the operators a compiled module exports until SIGINT/SIGTERM, which drain in-flight syncs
and release the lease. The cluster comes from KUBECONFIG, ~/.kube/config, or the in-cluster
service account.

<module> is a compiled ES module (e.g. dist/operators.js); "path#A,B" picks exports A and B.

Options:
  --namespace <ns>        watch and manage only this namespace
  --concurrency <n>       parallel syncs per operator (unless the operator sets its own)
  --log-format <fmt>      json | pretty (default: pretty on a terminal, else json)
  --log-level <level>     debug | info | warn | error (default info)
  --health-port <port>    serve /healthz, /readyz and /metrics (default 8080; 0 picks a free port)
  --no-health             do not serve them
  --leader-elect          run only while holding a Lease (in POD_NAMESPACE, else "default")
  --lease-namespace <ns>  namespace of the Lease
  -h, --help              show this help

Environment: KUBECONFIG, TSOPERATOR_LOG_LEVEL, TSOPERATOR_LOG_FORMAT, POD_NAMESPACE.
`;

/** Parses `run`'s flags into `RunOptions` (shared with `dev`). */
export function runOptionsFrom(args: string[]): { module: string | undefined; options: RunOptions } {
  const { values, positionals } = parseCommandArgs(args, {
    namespace: { type: "string" },
    concurrency: { type: "string" },
    "log-format": { type: "string" },
    "log-level": { type: "string" },
    "health-port": { type: "string" },
    "no-health": { type: "boolean" },
    "leader-elect": { type: "boolean" },
    "lease-namespace": { type: "string" },
  });
  const namespace = namespaceOption(values.namespace, "--namespace");
  const leaseNamespace = namespaceOption(values["lease-namespace"], "--lease-namespace");
  const concurrency = intOption(values.concurrency, "--concurrency", 1, 1000);
  const logFormat = choiceOption(values["log-format"], "--log-format", ["json", "pretty"] as const);
  const logLevel = choiceOption(values["log-level"], "--log-level", ["debug", "info", "warn", "error"] as const);
  const healthPort = values["no-health"] ? undefined : (intOption(values["health-port"], "--health-port", 0, 65535) ?? 8080);
  const options: RunOptions = {
    ...(namespace ? { namespace } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(logFormat ? { logFormat } : {}),
    ...(logLevel ? { logLevel } : {}),
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(values["leader-elect"] ? { leaderElection: leaseNamespace ? { namespace: leaseNamespace } : {} } : {}),
  };
  return { module: onePositional(positionals), options };
}

/** `tsoperator run`: run a module's operators against the configured cluster. */
export const runCommand: CliCommand = {
  name: "run",
  summary: "run a module's operators against the current cluster (kubeconfig or in-cluster)",
  help: HELP,
  async run(args) {
    const { module, options } = runOptionsFrom(args);
    const loaded = await loadOperators(module);
    const runtime = await runOperators(loaded.inputs, { ...options, handleSignals: true });
    await runtime.done;
    // Lost the lease: exit non-zero so the pod restarts and campaigns again (as controller-runtime does).
    return runtime.lostLeadership ? 1 : 0;
  },
};
