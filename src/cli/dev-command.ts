import { spawn, type ChildProcess } from "node:child_process";
import { watch, type FSWatcher } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { KubeClient } from "../kube/client.js";
import { Discovery } from "../kube/discovery.js";
import type { KubeObject } from "../core/kube-object.js";
import { LocalControlPlane } from "../testing/control-plane/local-control-plane.js";
import { applyManifests, readManifests } from "../testing/manifests.js";
import { findFreePorts } from "../testing/control-plane/ports.js";
import { WebhookCertificates } from "../testing/webhook-certificates.js";
import { wireWebhooks } from "../testing/webhook-wiring.js";
import { webhookSpecsOf } from "../webhook/definitions.js";
import { parseCommandArgs } from "./args.js";
import { UsageError, type CliCommand } from "./command.js";
import { loadOperators } from "./load-operators.js";
import { waitForSignal } from "./wait-for-signal.js";

const HELP = `Usage: tsoperator dev <module> [options] [-- <run options>]

The inner loop: starts a local control plane (etcd, kube-apiserver, garbage collector), installs
the module's CRDs (generated as by \`tsoperator manifests\`, or --crd files), runs the operators
(\`tsoperator run\` in a child process) and restarts them whenever the compiled output next to the
module changes (run \`tsc --watch\` beside it). Ctrl-C stops everything and removes the control
plane's files.

Options:
  --crd <file>       install this YAML (CRDs or anything else) instead of the generated CRDs;
                     repeatable
  --no-watch         do not restart on changes
  -h, --help         show this help

Webhooks the module exports are served by the operators on 127.0.0.1 with a CA made on the fly
(openssl); the API server is pointed at them (URL client configs with the caBundle), so
\`kubectl apply\` of an invalid object is refused at once.

Options after \`--\` go to \`tsoperator run\` (e.g. -- --log-level debug --namespace demo). Probes and
metrics listen on 127.0.0.1 (a free port) unless -- --health-host says otherwise.
`;

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const say = (line: string) => process.stderr.write(`tsoperator dev: ${line}\n`);

/** `tsoperator dev`: local control plane + CRDs + operators restarted on change. */
export const devCommand: CliCommand = {
  name: "dev",
  summary: "run a module's operators on a local control plane, restarting them on change",
  help: HELP,
  async run(args) {
    const split = args.indexOf("--");
    const own = split < 0 ? args : args.slice(0, split);
    const runArgs = split < 0 ? [] : args.slice(split + 1);
    const { values, positionals } = parseCommandArgs(own, { crd: { type: "string", multiple: true }, "no-watch": { type: "boolean" } });
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0
          ? "missing <module>: the compiled module that exports operators"
          : `expected one <module>, got ${positionals.join(" ")}`,
      );
    // Load once here for the one-line errors (exit 2) before anything starts; the operators
    // themselves run in a child, which is what makes a restart pick up new code.
    const loaded = await loadOperators(positionals[0]);
    const crdFiles = values.crd ?? [];

    let started = Date.now();
    say("starting a local control plane (first run builds its binaries: ~5 min)…");
    const cp = await LocalControlPlane.start();
    say(`control plane ready at ${cp.server} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const client = KubeClient.fromKubeConfig(cp.kubeConfig);
    const discovery = new Discovery(client);
    const childEnv = { ...process.env, KUBECONFIG: cp.kubeconfigPath };
    let operators: ChildProcess | undefined;
    let watcher: FSWatcher | undefined;
    let stopping = false;

    // Webhooks: one CA and one port for the session; re-wired after each CRD install (conversion stanza).
    const webhookSpecs = webhookSpecsOf(loaded.webhooks);
    const certificates = webhookSpecs.length > 0 ? await WebhookCertificates.create() : undefined;
    const webhookArgs: string[] = [];
    if (certificates) {
      const [port] = await findFreePorts(1);
      webhookArgs.push("--webhook-port", String(port), "--webhook-host", "127.0.0.1", "--webhook-cert-dir", certificates.dir);
    }
    const installCrds = async () => {
      const objects: KubeObject[] = [];
      if (crdFiles.length > 0) for (const f of crdFiles) objects.push(...(await readManifests(f)));
      else objects.push(...(await generatedCrds(loaded.path, childEnv)));
      await applyManifests(client, discovery, objects, "tsoperator-dev");
      say(`installed ${objects.length} manifest(s): ${objects.map((o) => o.metadata?.name).join(", ") || "none"}`);
      if (certificates) {
        const port = webhookArgs[1];
        const wired = await wireWebhooks(client, discovery, webhookSpecs, {
          name: "tsoperator-dev",
          endpoint: { url: `https://127.0.0.1:${port}`, caBundle: certificates.caBundle },
          fieldManager: "tsoperator-dev",
        });
        say(`webhooks served on https://127.0.0.1:${port}: ${wired.map((o) => o.metadata?.name).join(", ") || "conversion only"}`);
      }
    };
    const startOperators = () => {
      operators = spawn(process.execPath, [MAIN, ...devRunArgs(positionals[0]!, [...webhookArgs, ...runArgs])], {
        env: childEnv,
        stdio: "inherit",
      });
      const child = operators;
      child.on("exit", (code, signal) => {
        if (!stopping && operators === child) say(`operators exited (${signal ?? `code ${code}`}); waiting for a change to restart`);
      });
    };
    const stopOperators = async () => {
      const child = operators;
      operators = undefined;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    };

    try {
      await installCrds();
      startOperators();
      const kinds = loaded.compiled.map((c) => c.config.parent.plural ?? c.config.parent.kind.toLowerCase()).join(",");
      process.stdout.write(
        [
          `kubeconfig: ${cp.kubeconfigPath}`,
          "",
          `  KUBECONFIG=${cp.kubeconfigPath} kubectl get ${kinds} -A`,
          "",
          values["no-watch"] ? "Press Ctrl-C to stop." : `Watching ${dirname(loaded.path)} for changes. Press Ctrl-C to stop.`,
          "",
        ].join("\n"),
      );
      if (!values["no-watch"]) {
        let timer: NodeJS.Timeout | undefined;
        let restarting = Promise.resolve();
        watcher = watch(dirname(loaded.path), { recursive: true }, (_event, file) => {
          if (stopping || (file && !/\.(m?js|cjs|json)$/.test(file))) return;
          clearTimeout(timer);
          timer = setTimeout(() => {
            restarting = restarting.then(async () => {
              if (stopping) return;
              say(`change detected (${file}); restarting the operators…`);
              started = Date.now();
              await stopOperators();
              try {
                if (crdFiles.length === 0) await installCrds();
                startOperators();
                say(`restarted in ${Date.now() - started} ms`);
              } catch (error) {
                say(`not restarted: ${(error as Error).message}`);
              }
            });
          }, 300);
        });
      }
      await waitForSignal();
    } finally {
      stopping = true;
      watcher?.close();
      say("stopping the operators and the control plane…");
      await stopOperators();
      await client.close();
      await cp.stop();
      await certificates?.remove();
    }
    return 0;
  },
};

/**
 * The `tsoperator run` arguments of the dev child: probes and metrics on a free port of the
 * loopback interface (a development command does not listen on the network), then the user's own
 * run options (which win: a later flag overrides an earlier one).
 */
export function devRunArgs(module: string, runArgs: readonly string[]): string[] {
  return ["run", module, "--health-port", "0", "--health-host", "127.0.0.1", ...runArgs];
}

/** The module's CRDs, generated in a child process (so a restart sees the newest compiled code). */
function generatedCrds(modulePath: string, env: NodeJS.ProcessEnv): Promise<KubeObject[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, "manifests", modulePath, "--crds-only"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(err.trim() || `tsoperator manifests exited with ${code}`));
      resolve(
        parseAllDocuments(out)
          .map((d) => d.toJS() as KubeObject)
          .filter((o) => o && typeof o === "object"),
      );
    });
  });
}
