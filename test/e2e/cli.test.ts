/**
 * The `tsoperator` command as users run it: a child process of `dist/src/cli/main.js`.
 * - `--help` on every subcommand; one-line errors with exit code 2 for a missing module, a module
 *   without operators, a class without `@Operator`, a file that is not JavaScript, a `.ts` source,
 *   and invalid names;
 * - `manifests --crds-only` on every sample's compiled module is the sample's committed crd.yaml
 *   (schema and printer columns included); `manifests --out` on the echo-server sample;
 * - `run` against a local control plane: a Greeting gets its ConfigMap; SIGTERM exits 0;
 * - `dev`: its own control plane, the generated CRD installed, a restart when the module changes,
 *   Ctrl-C (SIGINT) stops everything and removes the control plane's directory.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, readManifests } from "../../src/testing/manifests.js";
import { exitOf, waitForOutput } from "./support/child-process.js";
import { waitFor } from "./support/wait.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const main = join(root, "dist/src/cli/main.js");
const greetingModule = join(root, "dist/samples/greeting/greeting.js");
const echoModule = join(root, "dist/samples/echo-server/echo-server.js");
const tempNamespaceModule = join(root, "dist/samples/temp-namespace/temp-namespace.js");
/** A CLI's operator answers within 30 s. */
const EVENTUALLY = { timeout: 30_000, interval: 100 };

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(process.execPath, [main, ...args], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// The limit only stops a hung run: each step has its own wait; under heavy load (load average 20 on 2 cores) the group took > 240 s.
describe("tsoperator command", { timeout: 600_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), "tsoperator-cli-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("prints help for every subcommand", () => {
    for (const name of ["run", "dev", "manifests", "control-plane"]) {
      const { code, stdout } = cli([name, "--help"]);
      assert.equal(code, 0, name);
      assert.match(stdout, new RegExp(`^Usage: tsoperator ${name}`), name);
    }
    assert.match(cli(["--help"]).stdout, /run .*\n.*dev .*\n.*manifests /);
  });

  it("answers user mistakes with one line and exit code 2", () => {
    const noOperators = join(scratch, "no-operators.mjs");
    writeFileSync(noOperators, "export const answer = 42;\n");
    const plainClass = join(scratch, "plain-class.mjs");
    writeFileSync(plainClass, "export class Plain {}\nexport const operators = [Plain];\n");
    const notJs = join(scratch, "not-js.js");
    writeFileSync(notJs, "this is not JavaScript\n");
    const aFile = join(scratch, "a-file");
    writeFileSync(aFile, "");
    const cases: Array<[string[], RegExp]> = [
      [["manifests"], /missing <module>/],
      [["run", join(scratch, "missing.js")], /module not found: .*missing\.js/],
      [["manifests", join(scratch, "src.ts")], /pass the compiled \.js file/],
      [["manifests", noOperators], /exports no operators/],
      [["run", plainClass], /class Plain in .* is not decorated with @Operator/],
      [["manifests", `${greetingModule}#GreetingService`], /class GreetingService in .* is not decorated with @Operator/],
      [["run", greetingModule, "--concurrency", "zero"], /--concurrency must be a whole number/],
      [["manifests", greetingModule, "--bogus"], /Unknown option '--bogus'/],
      [["manifests", notJs], /^tsoperator manifests: could not load .*not-js\.js.*: pass a compiled JavaScript module/],
      [["manifests", join(root, "README.md")], /^tsoperator manifests: could not load .*README\.md.*: pass a compiled JavaScript module/],
      [["run", join(root, "samples/greeting/greeting.ts")], /^tsoperator run: could not load .*greeting\.ts.*pass the compiled \.js file/],
      [["manifests", greetingModule, "--install-namespace", "Bad_NS"], /--install-namespace "Bad_NS" is not a valid namespace/],
      [["manifests", greetingModule, "--namespace", "Bad_NS"], /--namespace "Bad_NS" is not a valid namespace/],
      [["run", greetingModule, "--namespace", "Bad_NS"], /--namespace "Bad_NS" is not a valid namespace/],
      [["manifests", greetingModule, "--name", "My Operator"], /--name "My Operator" is not a valid name/],
      [["manifests", greetingModule, "--out", aFile], /--out .*a-file.* is not a directory/],
      [["run", greetingModule, "--lease-namespace", "ops"], /--lease-namespace needs --leader-elect/],
      [["run", greetingModule, "--leader-elect", "--lease-duration", "5"], /--lease-duration \(5\) must be greater than --renew-deadline/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = cli(args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, `one line: ${stderr}`);
      assert.equal(stdout, "");
    }
  });

  it("manifests --crds-only on each sample's compiled module is its committed crd.yaml", () => {
    for (const [dir, module] of [
      ["echo-server", echoModule],
      ["greeting", greetingModule],
      ["temp-namespace", tempNamespaceModule],
    ]) {
      const { code, stdout, stderr } = cli(["manifests", module!, "--crds-only"]);
      assert.equal(code, 0, `${dir}: ${stderr}`);
      const generated = parseAllDocuments(stdout).map((d) => d.toJS());
      const committed = parseAllDocuments(readFileSync(join(root, `samples/${dir}/crd.yaml`), "utf8")).map((d) => d.toJS());
      assert.deepEqual(generated, committed, dir);
      const version = generated[0].spec.versions[0];
      assert.ok(version.schema.openAPIV3Schema.properties.spec.properties, `${dir}: a spec schema`);
      assert.ok(
        version.additionalPrinterColumns.some((c: { name: string }) => c.name !== "Age"),
        `${dir}: its printer columns`,
      );
    }
  });

  it("manifests --out writes CRDs, RBAC and a Deployment for the echo-server sample", () => {
    const out = join(scratch, "manifests");
    const { code, stderr } = cli(["manifests", echoModule, "--out", out, "--image", "example.com/echo:1"]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(readdirSync(out).sort(), ["00-namespace.yaml", "01-crds.yaml", "02-rbac.yaml", "03-deployment.yaml"]);
    const kinds = (file: string) =>
      parseAllDocuments(readFileSync(join(out, file), "utf8")).map((d) => (d.toJS() as { kind: string }).kind);
    assert.deepEqual(kinds("01-crds.yaml"), ["CustomResourceDefinition"]);
    assert.deepEqual(kinds("02-rbac.yaml"), ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
    const deployment = parseAllDocuments(readFileSync(join(out, "03-deployment.yaml"), "utf8"))[0]!.toJS();
    assert.deepEqual(deployment.spec.template.spec.containers[0].args.slice(0, 2), ["run", "dist/samples/echo-server/echo-server.js"]);
  });

  describe("run, against a local control plane", () => {
    let cp: LocalControlPlane;
    let client: KubeClient;
    let discovery: Discovery;
    before(async () => {
      cp = await LocalControlPlane.start();
      client = KubeClient.fromKubeConfig(cp.kubeConfig);
      discovery = new Discovery(client);
      await applyManifests(client, discovery, await readManifests(join(root, "samples/greeting/crd.yaml")));
    });
    after(async () => {
      await client?.close();
      await cp?.stop();
    });

    it("reconciles a parent under the Lease its flags name, and exits 0 on SIGTERM", async () => {
      const lease = ["--leader-elect", "--lease-namespace", "default", "--lease-name", "cli-lock"];
      lease.push("--lease-duration", "4", "--renew-deadline", "3", "--retry-period", "1");
      const child = spawn(process.execPath, [main, "run", greetingModule, "--health-port", "0", "--log-format", "json", ...lease], {
        cwd: root,
        env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += d));
      try {
        await waitForOutput(child.stdout!, /"operators running"/);
        const greetings = await discovery.resolve("samples.tsoperator.dev/v1", "Greeting");
        await client.create(greetings, { metadata: { name: "ada", namespace: "default" }, spec: { name: "Ada", language: "fr" } });
        const configMaps = await discovery.resolve("v1", "ConfigMap");
        const cm = await waitFor("the ConfigMap", () => client.get(configMaps, "default", "ada-greeting"), EVENTUALLY);
        assert.deepEqual(cm.data, { text: "Bonjour, Ada!" });
        const leases = await discovery.resolve("coordination.k8s.io/v1", "Lease");
        const held = await client.get(leases, "default", "cli-lock");
        assert.equal((held?.spec as { leaseDurationSeconds?: number } | undefined)?.leaseDurationSeconds, 4);
        assert.ok((held?.spec as { holderIdentity?: string } | undefined)?.holderIdentity, "the Lease has a holder");
      } finally {
        child.kill("SIGTERM");
      }
      assert.equal(await exitOf(child), 0, stderr);
    });
  });

  it("dev: control plane, generated CRD, restart on change, Ctrl-C leaves nothing behind", async () => {
    // A copy inside the package (so `import "tsoperator"` resolves) that the test may touch.
    const moduleDir = mkdtempSync(join(root, "dist/test/e2e/dev-module-"));
    const modulePath = join(moduleDir, "greeting.js");
    cpSync(greetingModule, modulePath);
    const child = spawn(process.execPath, [main, "dev", modulePath, "--", "--log-level", "warn"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    let client: KubeClient | undefined;
    try {
      const [, kubeconfigPath] = await waitForOutput(child.stdout!, /kubeconfig: (\S+)/, 120_000);
      assert.match(stderr, /installed 1 manifest\(s\): greetings\.samples\.tsoperator\.dev/);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigPath!);
      client = KubeClient.fromKubeConfig(kc);
      const discovery = new Discovery(client);
      const greetings = await discovery.resolve("samples.tsoperator.dev/v1", "Greeting");
      await client.create(greetings, { metadata: { name: "grace", namespace: "default" }, spec: { name: "Grace" } });
      const configMaps = await discovery.resolve("v1", "ConfigMap");
      await waitFor("the ConfigMap", () => client!.get(configMaps, "default", "grace-greeting"), EVENTUALLY);

      const restarted = waitForOutput(child.stderr!, /restarted in \d+ ms/);
      writeFileSync(modulePath, readFileSync(modulePath, "utf8").replace("Bonjour", "Salut"));
      await restarted;
      await client.patch(greetings, "default", "grace", { spec: { language: "fr" } }, "merge");
      await waitFor(
        "the restarted operator's text",
        async () => {
          const cm = await client!.get(configMaps, "default", "grace-greeting");
          return (cm?.data as { text?: string } | undefined)?.text === "Salut, Grace!" ? cm : undefined;
        },
        EVENTUALLY,
      );
      await client.close();
      client = undefined;

      child.kill("SIGINT");
      assert.equal(await exitOf(child), 0, stderr);
      assert.equal(existsSync(dirname(kubeconfigPath!)), false, "the control plane's directory is removed");
    } finally {
      await client?.close();
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(moduleDir, { recursive: true, force: true });
    }
  });
});
