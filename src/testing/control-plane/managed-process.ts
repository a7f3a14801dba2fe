import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** How a managed process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  error?: string;
}

/**
 * One control plane binary running in its own process group, its stdout and stderr going to a
 * log file. It does not keep the Node event loop alive: a test that forgets `stop()` still
 * exits, and the watchdog then removes what is left.
 */
export class ManagedProcess {
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  private exitInfo: ProcessExit | undefined;
  private readonly child: ChildProcess;

  private constructor(
    /** Short name used in messages: "etcd", "kube-apiserver", ... */
    readonly name: string,
    /** The log file holding the process's stdout and stderr. */
    readonly logFile: string,
    child: ChildProcess,
  ) {
    this.child = child;
    this.exited = new Promise((resolve) => {
      const done = (info: ProcessExit) => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        resolve(info);
      };
      child.once("exit", (code, signal) => done({ code, signal }));
      // spawn failures arrive as "error" without any "exit".
      child.once("error", (err) => done({ code: null, signal: null, error: err.message }));
    });
  }

  /** Starts `command args` detached (own process group) with output appended to `logFile`. */
  static start(name: string, command: string, args: string[], logFile: string): ManagedProcess {
    const fd = openSync(logFile, "a");
    try {
      // detached: a Ctrl-C sent to the test's process group must not race the orderly stop().
      const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd] });
      child.unref();
      return new ManagedProcess(name, logFile, child);
    } finally {
      closeSync(fd);
    }
  }

  /** The process id (0 when spawning failed). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** How it ended, or undefined while it runs. */
  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** SIGTERM, then SIGKILL after `graceMs` when it is still running; resolves once it is gone. */
  async stop(graceMs: number): Promise<void> {
    if (this.exitInfo || this.pid === 0) return;
    this.child.ref(); // keep the event loop alive until the exit is seen
    this.signal("SIGTERM");
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs, true)]);
    if (timedOut) {
      this.signal("SIGKILL");
      await this.exited;
    }
  }

  /** SIGKILL at once; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.exitInfo || this.pid === 0) return;
    this.child.ref();
    this.signal("SIGKILL");
    await this.exited;
  }

  /** The last `lines` lines of the log file (empty when unreadable). */
  async logTail(lines = 30): Promise<string> {
    return readLogTail(this.logFile, lines);
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last `lines` lines of a text file (empty when unreadable). */
export async function readLogTail(file: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
