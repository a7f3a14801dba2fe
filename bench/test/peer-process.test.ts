/**
 * PeerProcess with a real child process (no server): the peer protocol on stdout, the peer's other
 * lines kept for the harness, and its log (stderr and its logger's JSON lines on stdout) in the log file.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PeerProcess } from "../lib/peer-process.js";

test("a peer's JSON log lines on stdout and its stderr reach the log file; other lines are kept with waitLine", async () => {
  const logPath = join(mkdtempSync(join(tmpdir(), "peer-process-")), "peer.log");
  const script = [
    'process.stdout.write("READY\\n");',
    'process.stdout.write(JSON.stringify({ level: "info", msg: "synced" }) + "\\n");',
    'process.stderr.write("a warning\\n");',
    'process.stdout.write("LEADING\\n");',
    "setTimeout(() => process.exit(0), 50);",
  ].join("\n");
  const peer = PeerProcess.start("t", { command: process.execPath, args: ["-e", script] }, "/dev/null", "ns", logPath);
  await peer.waitReady(10_000);
  assert.ok((await peer.waitLine("LEADING", 10_000)) > 0);
  await peer.stop(1000);
  // The log file is written by the file stream's own threads after the exit: wait for its lines
  // (a fixed wait is short on a starved machine).
  let log = "";
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    log = readFileSync(logPath, "utf8");
    if (log.includes('"msg":"synced"') && log.includes("a warning")) break;
  }
  assert.match(log, /"msg":"synced"/, "the logger's line is in the log file");
  assert.match(log, /a warning/, "stderr is in the log file");
  assert.deepEqual(
    peer.lines.map((l) => l.line),
    ["LEADING"],
    "only the non-log, non-protocol lines are kept",
  );
});
