import { runOperators } from "../runner/run-operators.js";
import type { RunOptions } from "../runner/run-options.js";
import {
  choiceOption,
  intOption,
  labelSelectorOption,
  namespaceOption,
  namespacesOption,
  onePositional,
  parseCommandArgs,
} from "./args.js";
import { UsageError, type CliCommand } from "./command.js";
import { loadOperators } from "./load-operators.js";

const HELP = `Usage: tsoperator run <module> [options]

Runs the operators a compiled module exports until SIGINT/SIGTERM, which drain in-flight syncs
and release the lease. The cluster comes from KUBECONFIG, ~/.kube/config, or the in-cluster
service account.

<module> is a compiled ES module (e.g. dist/operators.js); "path#A,B" picks exports A and B.

Options:
  --namespace <ns>        watch and manage only this namespace; repeat it (or list them: a,b) for
                          several: one list+watch per namespace, never cluster-wide
  --label-selector <sel>  watch and manage only the parents it matches, e.g. "shard=a"
  --concurrency <n>       parallel syncs per operator (unless the operator sets its own)
  --log-format <fmt>      json | pretty (default: pretty on a terminal, else json)
  --log-level <level>     debug | info | warn | error (default info)
  --health-port <port>    serve /health, /healthz, /readyz and /metrics (default 8080; 0 picks a free port)
  --health-host <addr>    address to serve them on (default all interfaces; \`tsoperator dev\` uses 127.0.0.1)
  --no-health             do not serve them
  --qps <n>               client-side limit of API requests per second (default: none; the server's
                          priority and fairness decides, and 429s are retried)
  --burst <n>             requests allowed at once above --qps (default 2 x qps)
  --user-agent <ua>       User-Agent of every API request (default "tsoperator")
  --cache-sync-timeout <s>  an operator whose caches have not listed after this many seconds is
                          reported failed (log, /readyz red) and does not run; the others do (default 120)
  --leader-elect          run only while holding a Lease (in POD_NAMESPACE, else "default")
  --lease-namespace <ns>  namespace of the Lease          (the lease flags need --leader-elect:
  --lease-name <name>     name of the Lease (default: the  without it they are a usage error)
                          operators' names joined, then "-leader")
  --lease-duration <s>    how long a Lease is valid without renewal (default 15)
  --renew-deadline <s>    the leader gives up when it could not renew for this long (default 10)
  --retry-period <s>      time between tries to acquire or renew (default 2)
  --cold-standby          a standby does not list and watch until it leads (less memory and API load;
                          a slower failover); default: standbys keep warm caches
  --webhook-port <port>   port of the webhook server, when the module exports webhooks (default 9443)
  --webhook-host <addr>   address it listens on (default all interfaces)
  --webhook-cert-dir <d>  directory of its tls.crt and tls.key, re-read when they change
                          (default /tmp/k8s-webhook-server/serving-certs)
  -h, --help              show this help

Environment: KUBECONFIG, TSOPERATOR_LOG_LEVEL, TSOPERATOR_LOG_FORMAT, POD_NAMESPACE.
`;

/** Parses `run`'s flags into `RunOptions` (shared with `dev`). */
export function runOptionsFrom(args: string[]): { module: string | undefined; options: RunOptions } {
  const { values, positionals } = parseCommandArgs(args, {
    namespace: { type: "string", multiple: true },
    "label-selector": { type: "string" },
    concurrency: { type: "string" },
    "log-format": { type: "string" },
    "log-level": { type: "string" },
    "health-port": { type: "string" },
    "no-health": { type: "boolean" },
    "health-host": { type: "string" },
    "cache-sync-timeout": { type: "string" },
    "leader-elect": { type: "boolean" },
    "lease-namespace": { type: "string" },
    "lease-name": { type: "string" },
    "lease-duration": { type: "string" },
    "renew-deadline": { type: "string" },
    "retry-period": { type: "string" },
    "cold-standby": { type: "boolean" },
    "webhook-port": { type: "string" },
    "webhook-host": { type: "string" },
    "webhook-cert-dir": { type: "string" },
    qps: { type: "string" },
    burst: { type: "string" },
    "user-agent": { type: "string" },
  });
  const namespaces = namespacesOption(values.namespace, "--namespace");
  const labelSelector = labelSelectorOption(values["label-selector"], "--label-selector");
  const concurrency = intOption(values.concurrency, "--concurrency", 1, 1000);
  const logFormat = choiceOption(values["log-format"], "--log-format", ["json", "pretty"] as const);
  const logLevel = choiceOption(values["log-level"], "--log-level", ["debug", "info", "warn", "error"] as const);
  // Not given: the runtime's default (8080; a taken default port is logged, not fatal).
  const healthPort = values["no-health"] ? false : intOption(values["health-port"], "--health-port", 0, 65535);
  const qps = intOption(values.qps, "--qps", 1, 100_000);
  const burst = intOption(values.burst, "--burst", 1, 100_000);
  if (burst !== undefined && qps === undefined) throw new UsageError("--burst needs --qps (the client-side rate limit is off without it)");
  const userAgent = values["user-agent"];
  if (userAgent !== undefined && !/^[\x20-\x7e]{1,256}$/.test(userAgent)) {
    throw new UsageError(`--user-agent must be 1 to 256 printable ASCII characters (got ${JSON.stringify(userAgent)})`);
  }
  const cacheSyncTimeout = intOption(values["cache-sync-timeout"], "--cache-sync-timeout", 1, 86_400);
  const leaderElection = leaderElectionFrom(values);
  const webhookPort = intOption(values["webhook-port"], "--webhook-port", 0, 65535);
  const webhookServer = {
    ...(webhookPort !== undefined ? { port: webhookPort } : {}),
    ...(values["webhook-host"] ? { host: values["webhook-host"] } : {}),
    ...(values["webhook-cert-dir"] ? { certDir: values["webhook-cert-dir"] } : {}),
  };
  const options: RunOptions = {
    // One namespace stays `namespace` (as before); several are `namespaces`.
    ...(namespaces?.length === 1 ? { namespace: namespaces[0] } : namespaces ? { namespaces } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(logFormat ? { logFormat } : {}),
    ...(logLevel ? { logLevel } : {}),
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(values["health-host"] ? { healthHost: values["health-host"] } : {}),
    ...(cacheSyncTimeout !== undefined ? { cacheSyncTimeoutMs: cacheSyncTimeout * 1000 } : {}),
    ...(leaderElection ? { leaderElection } : {}),
    ...(Object.keys(webhookServer).length > 0 ? { webhookServer } : {}),
    ...(qps !== undefined ? { clientRateLimit: { qps, burst: burst ?? qps * 2 } } : {}),
    ...(userAgent !== undefined ? { userAgent } : {}),
  };
  return { module: onePositional(positionals), options };
}

const LEASE_FLAGS = ["lease-namespace", "lease-name", "lease-duration", "renew-deadline", "retry-period", "cold-standby"] as const;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * The Lease settings from the flags. A lease flag without `--leader-elect` is a usage error
 * rather than a silent no-op or an implied election: which replicas act must be said once, plainly.
 */
function leaderElectionFrom(values: Record<string, string | string[] | boolean | undefined>): RunOptions["leaderElection"] {
  const given = LEASE_FLAGS.filter((f) => values[f] !== undefined);
  if (!values["leader-elect"]) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --leader-elect (leader election is off without it)`);
    return undefined;
  }
  const namespace = namespaceOption(values["lease-namespace"] as string | undefined, "--lease-namespace");
  const name = values["lease-name"] as string | undefined;
  if (name !== undefined && !DNS_SUBDOMAIN.test(name)) throw new UsageError(`--lease-name must be a DNS subdomain name, got "${name}"`);
  const leaseDuration = intOption(values["lease-duration"] as string | undefined, "--lease-duration", 1, 3600);
  const renewDeadline = intOption(values["renew-deadline"] as string | undefined, "--renew-deadline", 1, 3600);
  const retryPeriod = intOption(values["retry-period"] as string | undefined, "--retry-period", 1, 3600);
  const [lease, renew, retry] = [leaseDuration ?? 15, renewDeadline ?? 10, retryPeriod ?? 2];
  if (!(lease > renew)) throw new UsageError(`--lease-duration (${lease}) must be greater than --renew-deadline (${renew})`);
  if (!(renew > retry * 1.5)) throw new UsageError(`--renew-deadline (${renew}) must be greater than 1.5 x --retry-period (${retry})`);
  return {
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(leaseDuration !== undefined ? { leaseDurationSeconds: leaseDuration } : {}),
    ...(renewDeadline !== undefined ? { renewDeadlineSeconds: renewDeadline } : {}),
    ...(retryPeriod !== undefined ? { retryPeriodSeconds: retryPeriod } : {}),
    ...(values["cold-standby"] ? { warmCaches: false } : {}),
  };
}

/** `tsoperator run`: run a module's operators against the configured cluster. */
export const runCommand: CliCommand = {
  name: "run",
  summary: "run a module's operators against the current cluster (kubeconfig or in-cluster)",
  help: HELP,
  async run(args) {
    const { module, options } = runOptionsFrom(args);
    const loaded = await loadOperators(module);
    const runtime = await runOperators(loaded.inputs, {
      ...options,
      ...(loaded.webhooks.length > 0 ? { webhooks: loaded.webhooks } : {}),
      handleSignals: true,
    });
    await runtime.done;
    // Lost the lease: exit non-zero so the pod restarts and campaigns again (as controller-runtime does).
    return runtime.lostLeadership ? 1 : 0;
  },
};
