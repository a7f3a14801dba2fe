/**
 * Biome (biome.json) checks every source file: the linter's rules (recommended, less the few that
 * fight this codebase's idioms: non-null assertions in tests, `any` in Nest's types, value imports
 * that decorator metadata needs). `npm run lint` shows the findings; `npm run format` fixes layout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const biome = join(root, "node_modules/@biomejs/biome/bin/biome");

test("biome finds no lint error in the sources", () => {
  const result = spawnSync(process.execPath, [biome, "lint", "--max-diagnostics=20", "."], { cwd: root, encoding: "utf8" });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}\nrun: npm run lint`);
});
