/** The main job of the README (`npm run demo -- --once`) runs to the end and shows what it did. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const run = promisify(execFile);
const demo = fileURLToPath(new URL("../../samples/demo.js", import.meta.url));

test("the demo reconciles an EchoServer on a fresh local control plane and exits 0 with --once", async () => {
  const { stdout } = await run(process.execPath, [demo, "--once"], {
    timeout: 120_000,
    env: { ...process.env, TSOPERATOR_LOG_LEVEL: "warn" },
  });
  assert.match(stdout, /✔ reconciled in [\d.]+ s/);
  assert.match(stdout, /Pod {6}demo\/hello {2}image=hashicorp\/http-echo/);
  assert.match(stdout, /Service {2}demo\/hello {2}ports=\["80->8080"\]/);
  assert.match(stdout, /"observedGeneration":1/);
  assert.match(stdout, /"serviceName":"hello"/);
});
