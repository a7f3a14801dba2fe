import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { allObjects, generateManifests, toYaml, type ManifestOptions } from "../manifests/generate.js";
import {
  choiceOption,
  intOption,
  labelSelectorOption,
  nameOption,
  namespaceOption,
  namespacesOption,
  onePositional,
  parseCommandArgs,
} from "./args.js";
import { UsageError, type CliCommand } from "./command.js";
import { loadOperators } from "./load-operators.js";

const HELP = `Usage: tsoperator manifests <module> [options]

Writes what deploying the module's operators takes, as YAML:
  - a CustomResourceDefinition per custom parent type (schema from @CustomResource, status
    subresource with observedGeneration, printer columns);
  - a ServiceAccount and, per operator, a ClusterRole (a Role in each --namespace) granting exactly
    the verbs the runtime uses, with its binding; a Role for the leader-election Lease;
  - a Deployment running \`tsoperator run <module> --leader-elect\`;
  - when the module exports webhooks: their Validating/MutatingWebhookConfigurations, the
    conversion stanza of converted CRDs, a Service, and cert-manager's Issuer and Certificate
    (the CA injected with cert-manager.io/inject-ca-from; --webhook-certificates manual leaves
    the Secret and the caBundle to you). RBAC is the same: serving webhooks needs none.

<module> is a compiled ES module (e.g. dist/operators.js); "path#A,B" picks exports A and B.

Options:
  --out <dir>                write 00-namespace.yaml, 01-crds.yaml, 02-rbac.yaml, 03-deployment.yaml
                             (and 04-webhooks.yaml)
                             into <dir> (default: one YAML stream on stdout)
  --crds-only                only the CRDs
  --name <name>              ServiceAccount/Deployment name (default: <operator>-operator)
  --install-namespace <ns>   namespace of the ServiceAccount, Deployment and Lease
                             (default: tsoperator-system)
  --namespace <ns>           the operators watch only <ns>: a Role and RoleBinding there instead of a
                             ClusterRole; repeat it (or list them: a,b) for several namespaces
                             (a cluster-scoped parent still needs a ClusterRole)
  --label-selector <sel>     the operators watch only the parents it matches (passed to the Deployment)
  --image <image>            the image holding your app and node_modules (default: <name>:latest)
  --module-path <path>       the module's path inside the image, relative to /app
                             (default: <module> relative to the current directory)
  --replicas <n>             Deployment replicas (default 1)
  --health-port <port>       probe and metrics port (default 8080)
  --no-leader-elect          no Lease rules, no --leader-elect
  --webhook-port <port>      webhook server port in the pod (default 9443)
  --webhook-certificates <s> cert-manager (default) | manual
  -h, --help                 show this help
`;

/** `tsoperator manifests`: CRDs, least-privilege RBAC and a Deployment for a module's operators. */
export const manifestsCommand: CliCommand = {
  name: "manifests",
  summary: "write CRDs, least-privilege RBAC and a Deployment for a module's operators",
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      out: { type: "string" },
      "crds-only": { type: "boolean" },
      name: { type: "string" },
      "install-namespace": { type: "string" },
      namespace: { type: "string", multiple: true },
      "label-selector": { type: "string" },
      image: { type: "string" },
      "module-path": { type: "string" },
      replicas: { type: "string" },
      "health-port": { type: "string" },
      "no-leader-elect": { type: "boolean" },
      "webhook-port": { type: "string" },
      "webhook-certificates": { type: "string" },
    });
    const spec = onePositional(positionals);
    // Every flag is checked before the module is loaded: a typo costs no import.
    const appName = nameOption(values.name, "--name");
    const installNamespace = namespaceOption(values["install-namespace"], "--install-namespace");
    const watchNamespaces = namespacesOption(values.namespace, "--namespace");
    const labelSelector = labelSelectorOption(values["label-selector"], "--label-selector");
    const replicas = intOption(values.replicas, "--replicas", 0, 100);
    const healthPort = intOption(values["health-port"], "--health-port", 1, 65535);
    const webhookPort = intOption(values["webhook-port"], "--webhook-port", 1, 65535);
    const webhookCertificates = choiceOption(values["webhook-certificates"], "--webhook-certificates", ["cert-manager", "manual"] as const);
    if (values.image !== undefined && !/^\S+$/.test(values.image))
      throw new UsageError(`--image "${values.image}" is not an image reference, e.g. "registry.example.com/echo:1.0"`);
    if (values.out !== undefined && existsSync(values.out) && !statSync(values.out).isDirectory()) {
      throw new UsageError(
        `--out ${values.out} is not a directory: pass a directory to write the YAML files into (it is created when missing)`,
      );
    }
    const loaded = await loadOperators(spec);
    const modulePath = values["module-path"] ?? relative(process.cwd(), loaded.path).split(sep).join("/");
    if (modulePath.startsWith(".."))
      throw new UsageError(`the module is outside the current directory: pass --module-path (its path inside the image)`);
    const options: ManifestOptions = {
      ...(appName ? { name: appName } : {}),
      ...(installNamespace ? { installNamespace } : {}),
      ...(watchNamespaces?.length === 1 ? { watchNamespace: watchNamespaces[0] } : watchNamespaces ? { watchNamespaces } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      leaderElection: !values["no-leader-elect"],
      ...(loaded.webhooks.length > 0 ? { webhooks: loaded.webhooks } : {}),
      ...(webhookPort !== undefined ? { webhookPort } : {}),
      ...(webhookCertificates ? { webhookCertificates } : {}),
    };
    const name = options.name ?? (loaded.compiled.length === 1 ? `${loaded.compiled[0]!.config.name}-operator` : "tsoperator");
    options.deployment = {
      image: values.image ?? `${name}:latest`,
      modulePath,
      ...(replicas !== undefined ? { replicas } : {}),
      ...(healthPort !== undefined ? { healthPort } : {}),
    };
    let manifests: ReturnType<typeof generateManifests>;
    try {
      manifests = generateManifests(loaded.compiled, options);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }

    if (values["crds-only"]) {
      if (values.out) writeFiles(values.out, [["01-crds.yaml", toYaml(manifests.crds)]]);
      else process.stdout.write(toYaml(manifests.crds));
      return 0;
    }
    if (!values.out) {
      process.stdout.write(toYaml(allObjects(manifests)));
      return 0;
    }
    writeFiles(values.out, [
      ...(manifests.namespace ? ([["00-namespace.yaml", toYaml([manifests.namespace])]] as const) : []),
      ...(manifests.crds.length > 0 ? ([["01-crds.yaml", toYaml(manifests.crds)]] as const) : []),
      ["02-rbac.yaml", toYaml(manifests.rbac)],
      ...(manifests.deployment ? ([["03-deployment.yaml", toYaml([manifests.deployment])]] as const) : []),
      ...(manifests.webhooks.length > 0 ? ([["04-webhooks.yaml", toYaml(manifests.webhooks)]] as const) : []),
    ]);
    return 0;
  },
};

function writeFiles(dir: string, files: ReadonlyArray<readonly [string, string]>): void {
  try {
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of files) {
      writeFileSync(join(dir, file), text);
      process.stderr.write(`wrote ${join(dir, file)}\n`);
    }
  } catch (error) {
    throw new UsageError(`--out ${dir}: ${(error as Error).message}: pass a directory you can write to`);
  }
}
