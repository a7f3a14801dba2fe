/**
 * The control plane watchdog: a tiny detached process that makes sure the control plane's
 * processes never outlive the process that started them, even when that one is SIGKILLed.
 *
 * Run as `node watchdog.js <parentPid> <tempDir>`. It reads newline-separated child pids from
 * stdin (the parent adds them as it starts etcd, the apiserver, kcm). When the parent is gone
 * (polled every 250 ms, or stdin closes because the parent died) it SIGKILLs the children and
 * removes the temp dir, then exits. An orderly stop() closes stdin after stopping everything,
 * which makes the watchdog sweep up (nothing left by then) and exit too.
 */
import { rmSync } from "node:fs";

const parentPid = Number(process.argv[2]);
const tempDir = process.argv[3];
const children = new Set<number>();
let stdinClosed = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function cleanUpAndExit(): never {
  for (const pid of children) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (tempDir) {
    // etcd may still be closing files for a moment after SIGKILL; retry a few times.
    try {
      rmSync(tempDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // nothing more we can do
    }
  }
  process.exit(0);
}

let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  const lines = (pending + chunk).split("\n");
  pending = lines.pop() ?? "";
  for (const line of lines) {
    const pid = Number(line.trim());
    if (Number.isInteger(pid) && pid > 0) children.add(pid);
  }
});
process.stdin.on("end", () => {
  stdinClosed = true;
  check();
});
process.stdin.on("error", () => {
  stdinClosed = true;
});

function check(): void {
  if (!alive(parentPid)) cleanUpAndExit();
  if (stdinClosed) {
    // An orderly stop() closes stdin after stopping everything; a crashed parent closes it too
    // (but then the parent is no longer alive, handled above). Kill leftovers either way.
    cleanUpAndExit();
  }
}

setInterval(check, 250);
