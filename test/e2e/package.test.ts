/**
 * The packed package, as a new user gets it: `npm pack`, installed into a fresh project, an
 * operator written against the public entry points, compiled with tsc (legacy decorators and
 * emitted metadata, as the README says), run against a real control plane.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { eventually, LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, ensureNamespace } from "../../src/testing/manifests.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const tsc = join(repo, "node_modules/typescript/bin/tsc");
let dir: string;
let cp: LocalControlPlane;

const OPERATOR = `
import { V1ConfigMap, type V1ObjectMeta } from "@kubernetes/client-node";
import { KubernetesType, Operator, Sync, SyncResponse, runOperators, type SyncRequest } from "tsoperator";

@KubernetesType({ apiVersion: "example.com/v1", kind: "Greeting" })
class Greeting {
  metadata!: V1ObjectMeta;
  spec!: { name: string };
}

class Phrases {
  hello(name: string) { return \`Hello, \${name}!\`; }
}

@Operator({ name: "greeter", parent: Greeting, children: [{ type: V1ConfigMap }] })
class GreeterOperator {
  constructor(private readonly phrases: Phrases) {}

  @Sync()
  sync(req: SyncRequest<Greeting>): SyncResponse {
    const text = this.phrases.hello(req.parent.spec.name);
    const existing = req.children.ofType(V1ConfigMap).first();
    return SyncResponse.of({ text, published: existing instanceof V1ConfigMap })
      .withChild({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: \`\${req.parent.metadata.name}-greeting\` }, data: { text } });
  }
}

const runtime = await runOperators([GreeterOperator]);
process.stdout.write("RUNNING\\n");
await runtime.done;
process.stdout.write("STOPPED\\n");
`;

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "greetings.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { kind: "Greeting", plural: "greetings", singular: "greeting" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "tsoperator-consumer-"));
  const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "--json"], { cwd: repo });
  const tarball = join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  const app = join(dir, "app");
  await mkdir(join(app, "src"), { recursive: true });
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module", dependencies: { tsoperator: `file:${tarball}` } }),
  );
  await writeFile(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        outDir: "dist",
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
      },
      include: ["src"],
    }),
  );
  await writeFile(join(app, "src/main.ts"), OPERATOR);
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app, timeout: 300_000 });
  cp = await LocalControlPlane.start();
});

after(async () => {
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the tarball holds the public entry points, the Go modules, and no tests", async () => {
  const pkg = JSON.parse(await readFile(join(dir, "app/node_modules/tsoperator/package.json"), "utf8")) as {
    exports: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(pkg.exports).sort(), [".", "./nest", "./package.json", "./testing"]);
  const { stdout } = await run("tar", ["-tzf", join(dir, (await run("ls", [dir])).stdout.split("\n").find((f) => f.endsWith(".tgz"))!)]);
  assert.match(stdout, /package\/controlplane\/kube\/go\.mod/);
  assert.match(stdout, /package\/controlplane\/etcd\/main\.go/);
  assert.doesNotMatch(stdout, /package\/dist\/test\//);
});

test("a fresh project compiles an operator against the package and runs it on a real control plane", async () => {
  const app = join(dir, "app");
  await run(process.execPath, [tsc, "-p", app], { cwd: app });
  // Internals stay internal: only the entry points in `exports` resolve.
  await assert.rejects(
    run(process.execPath, ["--input-type=module", "-e", "await import('tsoperator/dist/src/controller/reconciler.js')"], { cwd: app }),
    /ERR_PACKAGE_PATH_NOT_EXPORTED/,
  );
  await run(
    process.execPath,
    ["--input-type=module", "-e", "const t = await import('tsoperator/testing'); if (!t.LocalControlPlane || !t.TestKit) process.exit(1)"],
    { cwd: app },
  );

  const client = KubeClient.fromKubeConfig(cp.kubeConfig);
  const discovery = new Discovery(client);
  await applyManifests(client, discovery, [CRD]);
  await ensureNamespace(client, discovery, "consumer");
  const child = spawn(process.execPath, [join(app, "dist/main.js")], {
    cwd: app,
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, TSOPERATOR_LOG_FORMAT: "json" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const greetings = await discovery.resolve("example.com/v1", "Greeting");
  const configMaps = await discovery.resolve("v1", "ConfigMap");
  try {
    await eventually(() => assert.match(out, /RUNNING/), { timeout: 30_000 });
    await client.create(greetings, {
      apiVersion: "example.com/v1",
      kind: "Greeting",
      metadata: { name: "ada", namespace: "consumer" },
      spec: { name: "Ada" },
    });
    await eventually(
      async () => {
        const cm = await client.get(configMaps, "consumer", "ada-greeting");
        assert.deepEqual(cm?.data, { text: "Hello, Ada!" });
      },
      { timeout: 30_000 },
    );
    await eventually(
      async () => {
        const greeting = await client.get(greetings, "consumer", "ada");
        assert.deepEqual(greeting?.status, { text: "Hello, Ada!", published: true, observedGeneration: 1 });
      },
      { timeout: 30_000 },
    );
    child.kill("SIGTERM");
    assert.equal(await exited, 0, out);
    assert.match(out, /STOPPED/);
  } finally {
    child.kill("SIGKILL");
    await client.close();
  }
});
