// `npm test`: unit tests, then end-to-end tests against a real local control plane.
//
// The control-plane binaries are ensured first, once (a fresh machine builds them from the Go
// modules in controlplane/, ~6 minutes cold), so parallel test files never race to build them.
// Runs under the Node 24 that npm puts first on PATH.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const run = (args) => {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

function testFiles(dir) {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (entry.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const unit = [...testFiles(join(root, "dist/test/unit")), ...testFiles(join(root, "dist/bench/test"))];
const e2e = testFiles(join(root, "dist/test/e2e"));
const selected = only.length > 0 ? [...unit, ...e2e].filter((f) => only.some((o) => f.includes(o))) : [...unit, ...e2e];

if (selected.some((f) => f.includes("/e2e/"))) {
  run([join(root, "dist/src/cli/main.js"), "control-plane", "--build-only"]);
}
// Two test files at a time: each e2e file runs its own control plane (~400 MB, ~2 s to start).
run(["--test", "--test-concurrency=2", "--test-timeout=600000", ...selected]);
