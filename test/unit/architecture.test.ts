/**
 * The layering of DESIGN.md, checked mechanically on the sources: a rule that is only written
 * down erodes with the first hurried import.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const src = join(root, "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Module specifiers a file imports or re-exports (type-only imports included: they couple too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g), ...text.matchAll(/(?:^|\n)\s*import\s+"([^"]+)"/g)].map((m) => m[1]!);
}

const files = sources(src).map((path) => ({ path, rel: relative(src, path), imports: importsOf(path) }));

function violations(fromDir: string, forbidden: RegExp, allowed: RegExp = /$^/): string[] {
  return files
    .filter((f) => f.rel.startsWith(`${fromDir}/`))
    .flatMap((f) => f.imports.filter((i) => forbidden.test(i) && !allowed.test(i)).map((i) => `${f.rel} imports ${i}`));
}

test("api/ imports nothing from runtime/, runner/, observability/ or the kube client", () => {
  assert.deepEqual(violations("api", /\.\.\/(runtime|runner|observability|testing|nest|cli)\//), []);
  assert.deepEqual(violations("api", /\.\.\/kube\//, /\.\.\/kube\/types\.js$/), []);
});

test("runtime/ never imports decorators or the compiler of decorated classes", () => {
  assert.deepEqual(violations("runtime", /api\/(decorators|compile|kubernetes-type)\.js$/), []);
  assert.deepEqual(violations("runtime", /\.\.\/(runner|testing|nest|cli)\//), []);
});

test("kube/ and registry/ stay below the runtime", () => {
  assert.deepEqual(violations("kube", /\.\.\/(api|runtime|runner|observability|testing|nest|cli)\//), []);
  assert.deepEqual(violations("registry", /\.\.\/(runtime|runner|observability|testing|nest|cli)\//), []);
});

test("only src/nest imports NestJS, so `import \"tsoperator\"` works without it", () => {
  const offenders = files.filter((f) => !f.rel.startsWith("nest/") && f.imports.some((i) => i.startsWith("@nestjs/"))).map((f) => f.rel);
  assert.deepEqual(offenders, []);
});

test("the library has no top-level await (CommonJS apps load it with require(esm))", () => {
  const offenders = files
    .filter((f) => !f.rel.startsWith("cli/"))
    .filter((f) => /^(await\s|for await\s|const\s+\w+\s*=\s*await\s)/m.test(readFileSync(f.path, "utf8")))
    .map((f) => f.rel);
  assert.deepEqual(offenders, []);
});

test("package.json exports exactly the three public entry points", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> };
  assert.deepEqual(Object.keys(pkg.exports).sort(), [".", "./nest", "./package.json", "./testing"]);
});
