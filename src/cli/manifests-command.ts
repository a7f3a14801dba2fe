/**
 * `tsoperator manifests`: flags → a pure {@link ManifestsPlan} (unit-tested: every bad argument is a
 * one-line usage error, exit 2), then the module is loaded and the manifests written as a YAML
 * stream, numbered files, or a kustomize base, with an optional Dockerfile.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { allObjects, generateManifests, toYaml, type GeneratedManifests, type ManifestOptions } from "../manifests/generate.js";
import { kustomizeFiles, plainFiles, type ManifestFile } from "../manifests/layout.js";
import { dockerfileFor, dockerignore } from "../manifests/dockerfile.js";
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
                             (Deployment, metrics Service, PodDisruptionBudget, NetworkPolicy) and
                             04-webhooks.yaml, 05-monitoring.yaml into <dir> (default: one YAML stream on stdout)
  --format <yaml|kustomize>  kustomize (needs --out): a kustomize base, one file per object and a
                             kustomization.yaml listing them (default yaml)
  --crds-only                only the CRDs
  --no-crds                  everything but the CRDs (when they are installed separately)
  --name <name>              ServiceAccount/Deployment name (default: <operator>-operator)
  --install-namespace <ns>   namespace of the ServiceAccount, Deployment and Lease
                             (default: tsoperator-system)
  --namespace <ns>           the operators watch only <ns>: a Role and RoleBinding there instead of a
                             ClusterRole; repeat it (or list them: a,b) for several namespaces
                             (a cluster-scoped parent still needs a ClusterRole)
  --label-selector <sel>     the operators watch only the parents it matches (passed to the Deployment)
  --image <image>            the image holding your app and node_modules (default: <name>)
  --tag <tag>                the image's tag (default: latest; not with a tag or digest in --image)
  --pull-policy <policy>     Always, IfNotPresent or Never (default: Kubernetes' own)
  --module-path <path>       the module's path inside the image, relative to /app
                             (default: <module> relative to the current directory)
  --replicas <n>             Deployment replicas (default 1)
  --health-port <port>       probe and metrics port (default 8080)
  --no-leader-elect          no Lease rules, no --leader-elect
  --webhook-port <port>      webhook server port in the pod (default 9443)
  --webhook-certificates <s> cert-manager (default) | manual
  --service-monitor          a Prometheus Operator ServiceMonitor (its CRD must be installed)
  --grafana-dashboard        a ConfigMap holding the Grafana dashboard (label grafana_dashboard: "1")
  --no-policies              no pod-security labels, PodDisruptionBudget or NetworkPolicy
  --allow-port <port>        another port the NetworkPolicy lets in (e.g. a webhook's 9443); repeatable
  --dockerfile               also write Dockerfile and Dockerfile.dockerignore into --out
                             (build with: docker build -f <out>/Dockerfile .)
  -h, --help                 show this help
`;

const FLAGS = {
  out: { type: "string" },
  format: { type: "string" },
  "crds-only": { type: "boolean" },
  "no-crds": { type: "boolean" },
  name: { type: "string" },
  "install-namespace": { type: "string" },
  namespace: { type: "string", multiple: true },
  "label-selector": { type: "string" },
  image: { type: "string" },
  tag: { type: "string" },
  "pull-policy": { type: "string" },
  "module-path": { type: "string" },
  replicas: { type: "string" },
  "health-port": { type: "string" },
  "no-leader-elect": { type: "boolean" },
  "service-monitor": { type: "boolean" },
  "grafana-dashboard": { type: "boolean" },
  "no-policies": { type: "boolean" },
  "allow-port": { type: "string", multiple: true },
  dockerfile: { type: "boolean" },
  "webhook-port": { type: "string" },
  "webhook-certificates": { type: "string" },
} as const;

/** Flags that shape only the Deployment and what surrounds it: meaningless with --crds-only. */
const DEPLOYMENT_FLAGS = [
  "image",
  "tag",
  "pull-policy",
  "module-path",
  "replicas",
  "health-port",
  "service-monitor",
  "grafana-dashboard",
  "no-policies",
  "allow-port",
  "dockerfile",
  "no-leader-elect",
  "label-selector",
] as const;

/** What `tsoperator manifests <args>` will do, decided before the module is loaded. */
export interface ManifestsPlan {
  /** The module spec (`path#A,B`); undefined when missing (the loader answers that). */
  spec: string | undefined;
  out?: string;
  format: "yaml" | "kustomize";
  /** all: everything; only: the CRDs; none: everything but the CRDs. */
  crds: "all" | "only" | "none";
  /** Options for `generateManifests`; `deployment.modulePath` is filled in once the module is found. */
  options: ManifestOptions;
  /** The image without a tag (`--image`, or `<name>` once the name is known). */
  image?: string;
  /** The tag appended to the image (`--tag`, or "latest" when the image has none). */
  tag?: string;
  modulePath?: string;
  dockerfile: boolean;
}

const TAG = /^[\w][\w.-]{0,127}$/;

/** Parses the flags of `tsoperator manifests` (pure; throws `UsageError` with a one-line fix). */
export function manifestsPlanFrom(args: string[]): ManifestsPlan {
  const { values, positionals } = parseCommandArgs(args, FLAGS);
  const spec = onePositional(positionals);
  const appName = nameOption(values.name, "--name");
  const installNamespace = namespaceOption(values["install-namespace"], "--install-namespace");
  const watchNamespaces = namespacesOption(values.namespace, "--namespace");
  const labelSelector = labelSelectorOption(values["label-selector"], "--label-selector");
  const replicas = intOption(values.replicas, "--replicas", 0, 100);
  const healthPort = intOption(values["health-port"], "--health-port", 1, 65535);
  const allowPorts = (values["allow-port"] ?? []).map((p) => intOption(p, "--allow-port", 1, 65535)!);
  const format = choiceOption(values.format, "--format", ["yaml", "kustomize"] as const) ?? "yaml";
  const webhookPort = intOption(values["webhook-port"], "--webhook-port", 1, 65535);
  const webhookCertificates = choiceOption(values["webhook-certificates"], "--webhook-certificates", ["cert-manager", "manual"] as const);
  const pullPolicy = choiceOption(values["pull-policy"], "--pull-policy", ["Always", "IfNotPresent", "Never"] as const);

  if (values["crds-only"] && values["no-crds"]) throw new UsageError("--crds-only and --no-crds contradict each other: pass one of them");
  if (values["crds-only"]) {
    const extra = DEPLOYMENT_FLAGS.find((flag) => values[flag] !== undefined);
    if (extra) throw new UsageError(`--${extra} shapes the Deployment, which --crds-only leaves out: drop one of them`);
  }
  if (format === "kustomize" && values.out === undefined) {
    throw new UsageError("--format kustomize writes one file per object: pass --out <dir> too");
  }
  if (values.dockerfile && values.out === undefined) throw new UsageError("--dockerfile writes a file: pass --out <dir> too");
  if (values.image !== undefined && !/^[a-z0-9][\w.\-/:@]*$/.test(values.image))
    throw new UsageError(`--image "${values.image}" is not an image reference, e.g. "registry.example.com/echo:1.0"`);
  const imageHasTag = values.image !== undefined && (values.image.includes("@") || /:[^/]+$/.test(values.image));
  if (values.tag !== undefined) {
    if (!TAG.test(values.tag))
      throw new UsageError(`--tag "${values.tag}" is not an image tag: use letters, digits, ".", "_", "-", e.g. "1.0.3"`);
    if (imageHasTag) throw new UsageError(`--image "${values.image}" already has a tag or digest: drop --tag or the image's tag`);
  }
  if (values.out !== undefined && existsSync(values.out) && !statSync(values.out).isDirectory()) {
    throw new UsageError(
      `--out ${values.out} is not a directory: pass a directory to write the YAML files into (it is created when missing)`,
    );
  }
  const options: ManifestOptions = {
    ...(appName ? { name: appName } : {}),
    ...(installNamespace ? { installNamespace } : {}),
    ...(watchNamespaces?.length === 1 ? { watchNamespace: watchNamespaces[0] } : watchNamespaces ? { watchNamespaces } : {}),
    ...(labelSelector ? { labelSelector } : {}),
    leaderElection: !values["no-leader-elect"],
    ...(webhookPort !== undefined ? { webhookPort } : {}),
    ...(webhookCertificates ? { webhookCertificates } : {}),
    platform: {
      serviceMonitor: values["service-monitor"] === true,
      grafanaDashboard: values["grafana-dashboard"] === true,
      policies: !values["no-policies"],
      ...(allowPorts.length > 0 ? { extraIngressPorts: allowPorts } : {}),
    },
  };
  const deploymentParts = {
    ...(replicas !== undefined ? { replicas } : {}),
    ...(healthPort !== undefined ? { healthPort } : {}),
    ...(pullPolicy ? { imagePullPolicy: pullPolicy } : {}),
  };
  options.deployment = { image: "", modulePath: "", ...deploymentParts };
  return {
    spec,
    ...(values.out !== undefined ? { out: values.out } : {}),
    format,
    crds: values["crds-only"] ? "only" : values["no-crds"] ? "none" : "all",
    options,
    ...(values.image !== undefined ? { image: values.image } : {}),
    ...(values.tag !== undefined ? { tag: values.tag } : imageHasTag ? {} : { tag: "latest" }),
    ...(values["module-path"] !== undefined ? { modulePath: values["module-path"] } : {}),
    dockerfile: values.dockerfile === true,
  };
}

/** The objects and files a plan selects from the generated manifests. */
export function selectManifests(manifests: GeneratedManifests, crds: ManifestsPlan["crds"]): GeneratedManifests {
  if (crds === "only") return { crds: manifests.crds, rbac: [], webhooks: [] };
  if (crds === "none") return { ...manifests, crds: [] };
  return manifests;
}

/** `tsoperator manifests`: CRDs, least-privilege RBAC and a Deployment for a module's operators. */
export const manifestsCommand: CliCommand = {
  name: "manifests",
  summary: "write CRDs, least-privilege RBAC, a Deployment, monitoring and policies for a module's operators",
  help: HELP,
  async run(args) {
    // Every flag is checked before the module is loaded: a typo costs no import.
    const plan = manifestsPlanFrom(args);
    const loaded = await loadOperators(plan.spec);
    const modulePath = plan.modulePath ?? relative(process.cwd(), loaded.path).split(sep).join("/");
    if (modulePath.startsWith(".."))
      throw new UsageError(`the module is outside the current directory: pass --module-path (its path inside the image)`);
    const options = plan.options;
    const name = options.name ?? (loaded.compiled.length === 1 ? `${loaded.compiled[0]!.config.name}-operator` : "tsoperator");
    const image = `${plan.image ?? name}${plan.tag !== undefined ? `:${plan.tag}` : ""}`;
    options.deployment = { ...options.deployment!, image, modulePath };
    if (loaded.webhooks.length > 0) options.webhooks = loaded.webhooks;
    let manifests: GeneratedManifests;
    try {
      manifests = selectManifests(generateManifests(loaded.compiled, options), plan.crds);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (!plan.out) {
      process.stdout.write(toYaml(allObjects(manifests)));
      return 0;
    }
    const files: ManifestFile[] = plan.format === "kustomize" ? kustomizeFiles(manifests) : plainFiles(manifests);
    if (plan.dockerfile) files.push(["Dockerfile", dockerfileFor({ modulePath })], ["Dockerfile.dockerignore", dockerignore()]);
    writeFiles(plan.out, files);
    return 0;
  },
};

function writeFiles(dir: string, files: readonly ManifestFile[]): void {
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
