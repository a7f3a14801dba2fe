/**
 * Biome (biome.json) checks every source file: its formatting (`npm run format` fixes it) and the
 * linter's rules (recommended, less the few that fight this codebase's idioms: non-null assertions
 * in tests, `any` in Nest's types, value imports that decorator metadata needs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const biome = join(root, "node_modules/@biomejs/biome/bin/biome");

test("biome finds no lint error and no unformatted file in the sources", () => {
  const result = spawnSync(process.execPath, [biome, "ci", "--max-diagnostics=20", "."], { cwd: root, encoding: "utf8" });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}\nrun: npm run format, then npm run lint`);
});
