/**
 * One running peer: a child process started with KUBECONFIG and the benchmark namespace, whose
 * stdout follows the peer protocol ("READY", then "SYNCS <n>"), whose stderr and stdout's JSON log
 * lines go to a log file, and whose memory and CPU time are read from /proc.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux the bench runs on). */
const CLOCK_TICKS = 100;

/** A snapshot of a process's resource use. */
export interface ProcUsage {
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size over the process's life (VmHWM), bytes. */
  peakRssBytes: number;
  /** User + system CPU time so far, milliseconds. */
  cpuMs: number;
}

/** Reads VmRSS, VmHWM and utime+stime of a process. */
export async function readProcUsage(pid: number): Promise<ProcUsage> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: kb("VmRSS"), peakRssBytes: kb("VmHWM"), cpuMs: (ticks * 1000) / CLOCK_TICKS };
}

/** How to start a peer. */
export interface PeerCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** See the module comment. */
export class PeerProcess {
  private syncs = 0;
  private ready = false;
  private readonly waiters: Array<() => void> = [];
  private exited: { code: number | null; signal: string | null } | undefined;
  /** Other lines the peer printed on stdout (e.g. the fault switches' `LEADING`), with when they arrived (Date.now()). */
  readonly lines: Array<{ line: string; at: number }> = [];
  /** Last usage read while the process was alive (kept for after it exits). */
  lastUsage: ProcUsage = { rssBytes: 0, peakRssBytes: 0, cpuMs: 0 };

  private readonly killOnExit = () => this.child.kill("SIGKILL");

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
    log?: NodeJS.WritableStream,
  ) {
    // A harness that dies (an exception, Ctrl-C) takes its peers with it.
    process.once("exit", this.killOnExit);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line === "READY") this.ready = true;
      else if (line.startsWith("SYNCS ")) this.syncs = Number(line.slice(6));
      // The peer's JSON log lines go to its log file with its stderr; the others are kept.
      else if (line.startsWith("{")) log?.write(line + "\n");
      else this.lines.push({ line, at: Date.now() });
      for (const w of this.waiters.splice(0)) w();
    });
    child.on("exit", (code, signal) => {
      this.exited = { code, signal };
      process.removeListener("exit", this.killOnExit);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Starts a peer; its stderr and the JSON log lines of its stdout are appended to `logPath`. */
  static start(name: string, cmd: PeerCommand, kubeconfigPath: string, namespace: string, logPath: string): PeerProcess {
    const child = spawn(cmd.command, cmd.args, {
      env: { ...process.env, ...cmd.env, KUBECONFIG: kubeconfigPath, BENCH_NAMESPACE: namespace },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const log = createWriteStream(logPath, { flags: "a" });
    // Not ended with stderr: stdout's log lines may still come.
    child.stderr!.pipe(log, { end: false });
    child.once("exit", () => setTimeout(() => log.end(), 100));
    return new PeerProcess(child, name, log);
  }

  /** Process id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Completed syncs the peer reported last. */
  get syncCount(): number {
    return this.syncs;
  }

  /** Resolves once the peer printed READY; rejects if it exits first or after `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void> {
    return this.waitUntil(() => this.ready, timeoutMs, "READY");
  }

  /** Resolves once the peer reported at least `n` completed syncs. */
  waitSyncs(n: number, timeoutMs: number): Promise<void> {
    return this.waitUntil(() => this.syncs >= n, timeoutMs, `SYNCS >= ${n} (at ${this.syncs})`);
  }

  /** Resolves with when (Date.now()) the peer first printed `line`; rejects if it exits first or after `timeoutMs`. */
  async waitLine(line: string, timeoutMs: number): Promise<number> {
    await this.waitUntil(() => this.lines.some((l) => l.line === line), timeoutMs, line);
    return this.lines.find((l) => l.line === line)!.at;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exited !== undefined;
  }

  /** Sends one line on the peer's stdin (raw peers read their jobs there). */
  send(line: string): void {
    this.child.stdin!.write(line + "\n");
  }

  /** Reads the process's usage now (or the last reading once it has exited). */
  async usage(): Promise<ProcUsage> {
    if (this.exited) return this.lastUsage;
    try {
      this.lastUsage = await readProcUsage(this.pid);
    } catch {
      // exited between the check and the read
    }
    return this.lastUsage;
  }

  /** Stops the peer: closes stdin, SIGTERM, SIGKILL after `graceMs`; returns its final usage. */
  async stop(graceMs = 3000): Promise<ProcUsage> {
    const usage = await this.usage();
    if (this.exited) return usage;
    this.child.stdin!.end();
    this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await new Promise<void>((resolve) => (this.exited ? resolve() : this.child.once("exit", () => resolve())));
    clearTimeout(killer);
    return usage;
  }

  /** SIGKILL (a crash: no shutdown code runs); resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    await this.usage();
    this.child.kill("SIGKILL");
    await new Promise<void>((resolve) => (this.exited ? resolve() : this.child.once("exit", () => resolve())));
  }

  private waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: timed out waiting for ${what}`)), timeoutMs);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else if (this.exited) {
          clearTimeout(timer);
          reject(new Error(`${this.name} exited (code ${this.exited.code}, signal ${this.exited.signal}) before ${what}`));
        } else this.waiters.push(check);
      };
      check();
    });
  }
}
