/**
 * docs/getting-started.md, run as written by a newcomer: the guide's install lines (with the
 * packed tarball in place of `tsoperator`, and whatever TypeScript npm serves today), its
 * tsconfig.json, its example saved as src/operator.ts, `tsc`, the CRD from
 * `tsoperator manifests dist/operator.js --crds-only`, and `node dist/operator.js` against a real
 * control plane. The guide's text is parsed, so a guide edit that breaks the walk fails here.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { eventually, LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, ensureNamespace } from "../../src/testing/manifests.js";
import { KubeClient } from "../../src/kube/client.js";
import { Discovery } from "../../src/kube/discovery.js";
import type { KubeObject } from "../../src/core/kube-object.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const guide = await readFile(join(repo, "docs/getting-started.md"), "utf8");
let dir: string;
let app: string;
let cp: LocalControlPlane;

/** The fenced blocks of a language in the guide's section `heading`. */
function blocks(heading: string, lang: string): string[] {
  const start = guide.indexOf(`## ${heading}`);
  assert.ok(start >= 0, `the guide has a "## ${heading}" section`);
  const end = guide.indexOf("\n## ", start + 3);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "tsoperator-getting-started-"));
  const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "--json"], { cwd: repo });
  const tarball = join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  app = join(dir, "website-operator");
  await mkdir(join(app, "src"), { recursive: true });
  // The guide's shell lines, run in order; `npm install tsoperator` installs the packed tarball.
  const lines = blocks("Set up a project", "sh")[0]!
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l.startsWith("npm "));
  assert.ok(
    lines.some((l) => l.startsWith("npm install -D typescript")),
    "the guide installs TypeScript",
  );
  for (const line of lines) {
    for (const command of line.split("&&").map((c) => c.trim())) {
      const args = command
        .split(/\s+/)
        .slice(1)
        .map((a) => (a === "tsoperator" ? tarball : a));
      if (args[0] === "install") args.push("--no-audit", "--no-fund", "--loglevel=error");
      await run("npm", args, { cwd: app, timeout: 300_000 });
    }
  }
  await writeFile(join(app, "tsconfig.json"), blocks("Set up a project", "json")[0]!);
  await copyFile(join(repo, "docs/examples/getting-started.ts"), join(app, "src/operator.ts"));
  cp = await LocalControlPlane.start();
});

after(async () => {
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the guide's project compiles with today's TypeScript and its operator runs on a real control plane", {
  timeout: 240_000,
}, async () => {
  const tscVersion = JSON.parse(await readFile(join(app, "node_modules/typescript/package.json"), "utf8")) as { version: string };
  const tsc = join(app, "node_modules/typescript/bin/tsc");
  await run(process.execPath, [tsc, "-p", app], { cwd: app }).catch((e: { stdout?: string }) => {
    throw new Error(`tsc ${tscVersion.version} refused the guide's project:\n${e.stdout}`);
  });

  // "npx tsoperator manifests dist/operator.js --crds-only | kubectl apply -f -"
  const cli = join(app, "node_modules/tsoperator/dist/src/cli/main.js");
  assert.match(guide, /npx tsoperator manifests dist\/operator\.js --crds-only/);
  const manifests = await run(process.execPath, [cli, "manifests", "dist/operator.js", "--crds-only"], { cwd: app });
  const crds = parseAllDocuments(manifests.stdout)
    .map((d) => d.toJS() as KubeObject)
    .filter(Boolean);
  assert.deepEqual(
    crds.map((c) => c.kind),
    ["CustomResourceDefinition"],
  );
  const client = KubeClient.fromKubeConfig(cp.kubeConfig);
  const discovery = new Discovery(client);
  await applyManifests(client, discovery, crds);
  await ensureNamespace(client, discovery, "default");

  // "node dist/operator.js"
  assert.match(guide, /\nnode dist\/operator\.js/);
  const child = spawn(process.execPath, [join(app, "dist/operator.js")], {
    cwd: app,
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const websites = await discovery.resolve("example.com/v1", "Website");
    const configMaps = await discovery.resolve("v1", "ConfigMap");
    await client.create(websites, {
      apiVersion: "example.com/v1",
      kind: "Website",
      metadata: { name: "home", namespace: "default" },
      spec: { title: "Hello" },
    });
    await eventually(
      async () => {
        assert.equal(child.exitCode, null, `the operator exited:\n${out}`);
        const page = await client.get(configMaps, "default", "home-page");
        assert.deepEqual(page?.data, { "index.html": "<h1>Hello</h1>" });
      },
      { timeout: 30_000 },
    );
    await eventually(
      async () => {
        const site = await client.get(websites, "default", "home");
        assert.deepEqual(site?.status, { published: true, observedGeneration: 1 });
      },
      { timeout: 30_000 },
    );
    child.kill("SIGTERM");
    assert.equal(await exited, 0, out);
  } finally {
    child.kill("SIGKILL");
    await client.close();
  }
});
