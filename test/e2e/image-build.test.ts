/**
 * The generated Dockerfile where no container builder exists (none does on these machines): its
 * build stage's commands run as a script (`buildStageScript`) in a scratch copy of a small
 * operator project, offline, and the runtime layer — exactly the paths the Dockerfile copies —
 * holds the compiled module and the production dependencies only (typescript pruned), and runs
 * the Deployment's command (`node node_modules/tsoperator/dist/src/cli/main.js ...`).
 * The project depends on this checkout through a `file:` link (a registry package in real life).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { buildStageScript, dockerfileFor, runtimeLayerPaths } from "../../src/manifests/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const typescript = resolve(root, "node_modules/typescript");

describe("the Dockerfile's build stage, as a script", { timeout: 120_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), "tsoperator-image-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("compiles with the project's tsc, prunes dev dependencies, and the runtime layer runs the CLI", () => {
    const app = join(scratch, "app");
    mkdirSync(join(app, "src"), { recursive: true });
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({
        name: "op-app",
        version: "1.0.0",
        type: "module",
        dependencies: { tsoperator: `file:${root}` },
        devDependencies: { typescript: `file:${typescript}` },
      }),
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { outDir: "dist", module: "nodenext", target: "es2022", skipLibCheck: true }, include: ["src"] }),
    );
    writeFileSync(
      join(app, "src/operators.ts"),
      [
        'import { K8sTypes, OperatorConfig, SyncResponse, defineOperator } from "tsoperator";',
        'export const operators = [defineOperator(new OperatorConfig("cm", K8sTypes.ConfigMap), () => SyncResponse.of({}))];',
        "",
      ].join("\n"),
    );
    // Node 24 and its npm first on PATH; offline: every dependency is a local link.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, npm_config_offline: "true" };
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: app, env, encoding: "utf8", stdio: "pipe" });
    run("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"]); // the lockfile `npm ci` needs
    writeFileSync(join(app, "build.sh"), buildStageScript());
    run("sh", ["build.sh"]);

    // The runtime layer: what the Dockerfile copies, and nothing else.
    const layer = join(scratch, "layer");
    mkdirSync(layer);
    const copies = [...dockerfileFor({ modulePath: "dist/operators.js" }).matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S+)$/gm)];
    assert.deepEqual(
      copies.map((m) => m[1]),
      runtimeLayerPaths(),
    );
    for (const path of runtimeLayerPaths()) execFileSync("cp", ["-a", join(app, path), join(layer, path)]);
    assert.ok(existsSync(join(layer, "dist/operators.js")), "the compiled module");
    assert.ok(!existsSync(join(layer, "src")), "no sources");
    const modules = readdirSync(join(layer, "node_modules")).filter((n) => !n.startsWith("."));
    assert.deepEqual(modules, ["tsoperator"], "production dependencies only: typescript was pruned");

    // The Deployment's command, from the layer: the CLI loads the compiled module.
    const out = execFileSync(
      process.execPath,
      ["node_modules/tsoperator/dist/src/cli/main.js", "manifests", "dist/operators.js", "--no-crds", "--image", "x", "--tag", "1"],
      { cwd: layer, encoding: "utf8" },
    );
    assert.match(out, /kind: ClusterRole\n/);
    assert.match(out, /image: x:1\n/);
  });
});
