/**
 * The guides' code blocks are docs/examples/*.ts verbatim (tsc type-checks those files with the
 * rest of the repo): `docs/sync-examples.mjs --check` fails when a guide drifted from its file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

test("every guide's example block matches its docs/examples file", () => {
  const result = spawnSync(process.execPath, ["docs/sync-examples.mjs", "--check"], { cwd: root, encoding: "utf8" });
  assert.equal(result.status, 0, `${result.stderr}run: node docs/sync-examples.mjs`);
});
