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
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+"([^"]+)"/g),
  ].map((m) => m[1]!);
}

const files = sources(src).map((path) => ({ path, rel: relative(src, path), imports: importsOf(path) }));

/**
 * The floors of the house, from the ground up (docs/internals.md draws them). A folder may import
 * from any floor below its own, never from its own floor's other folders nor from above. Every
 * folder of src/ must be listed, so a new room cannot appear outside the plan.
 */
const FLOORS: readonly (readonly string[])[] = [
  ["core"], // type identity, type references, built-in table, backoff, strategy, errors: no I/O
  ["kube", "di"], // transport, client, discovery | the instance resolver
  ["registry"], // apiVersion/kind <-> class, wire JSON <-> instances
  ["api", "observability"], // what users write against | logger, metrics, probes
  ["cache"], // watch state machine, informers, stores
  ["controller"], // event mapping, work queue, reconcile, child plan and its executor
  ["manager"], // runnables: ordered start and stop, leader election, event recorder
  ["webhook"], // admission and conversion webhooks: declarations, reviews, the HTTPS server
  ["manifests"], // CRDs, RBAC, Deployment from operator definitions
  ["runner"], // the composition root: runOperators
  ["testing", "nest"], // entry points: the local control plane and TestKit, the NestJS module
  ["cli"], // the tsoperator command (runs the local control plane of testing/)
];

/** The top-level folder an import of `file` lands in, or undefined for packages and same-folder files. */
function folderOf(file: { rel: string }, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const target = relative(src, join(src, file.rel, "..", specifier));
  return target.includes("/") ? target.split("/")[0] : "";
}

test("every folder of src/ is on exactly one floor", () => {
  const listed = FLOORS.flat();
  const folders = readdirSync(src).filter((e) => statSync(join(src, e)).isDirectory());
  assert.deepEqual(
    folders.filter((f) => !listed.includes(f)),
    [],
    "add the new folder to FLOORS",
  );
  assert.deepEqual(
    listed.filter((f) => !folders.includes(f)),
    [],
    "remove the folder from FLOORS",
  );
  assert.equal(new Set(listed).size, listed.length);
});

test("imports go only down the floors (no back-edge, no import between folders of one floor)", () => {
  const floorOf = new Map(FLOORS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));
  const offenders: string[] = [];
  for (const file of files) {
    const own = file.rel.includes("/") ? file.rel.split("/")[0]! : "";
    if (own === "") continue; // src/index.ts: the public API re-exports from every floor
    for (const specifier of file.imports) {
      const target = folderOf(file, specifier);
      if (target === undefined || target === own) continue;
      const from = floorOf.get(own)!;
      const to = floorOf.get(target);
      if (to === undefined || to >= from) offenders.push(`${file.rel} imports ${specifier} (floor ${from} -> ${to ?? "?"})`);
    }
  }
  assert.deepEqual(offenders, []);
});

test("the runtime (cache/, controller/, manager/) never imports api/: it reads the compiled spec", () => {
  const offenders = files
    .filter((f) => /^(cache|controller|manager)\//.test(f.rel))
    .flatMap((f) => f.imports.filter((i) => folderOf(f, i) === "api").map((i) => `${f.rel} imports ${i}`));
  assert.deepEqual(offenders, []);
});

test('only src/nest imports NestJS, so `import "tsoperator"` works without it', () => {
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
