import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * The parent's handle on the watchdog process (see watchdog.ts): it tells the watchdog which
 * pids to kill should this process die, and releases it after an orderly stop.
 */
export class WatchdogHandle {
  private constructor(private readonly child: ChildProcess) {}

  /** Spawns the detached watchdog for this process and `tempDir`. */
  static spawn(tempDir: string): WatchdogHandle {
    const here = dirname(fileURLToPath(import.meta.url));
    const script = existsSync(join(here, "watchdog.js")) ? join(here, "watchdog.js") : join(here, "watchdog.ts");
    const child = spawn(process.execPath, [script, String(process.pid), tempDir], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    // Neither the process nor its stdin pipe may keep the test's event loop alive.
    child.unref();
    (child.stdin as unknown as Socket | null)?.unref?.();
    child.stdin?.on("error", () => {}); // the watchdog gone first is not our problem
    return new WatchdogHandle(child);
  }

  /** The watchdog's pid. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Adds a pid the watchdog must SIGKILL when this process dies. */
  watch(pid: number): void {
    if (pid > 0 && this.child.stdin?.writable) this.child.stdin.write(`${pid}\n`);
  }

  /** Ends the watch: the watchdog sweeps up whatever is left and exits. */
  release(): void {
    this.child.stdin?.end();
  }
}
