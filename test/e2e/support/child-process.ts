/**
 * Watching a child process the e2e tests spawn (the `tsoperator` CLI): what it prints and when it
 * exits.
 */
import type { ChildProcess } from "node:child_process";

/** Resolves with the first match of `pattern` in what the stream prints; rejects with the output's tail after `timeoutMs`. */
export function waitForOutput(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in output after ${timeoutMs} ms:\n${seen.slice(-2000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      seen += d;
      const m = seen.match(pattern);
      if (m) {
        clearTimeout(timer);
        stream.off("data", onData);
        resolve(m);
      }
    };
    stream.on("data", onData);
  });
}

/** The exit code of `child` (null when a signal ended it), once it has exited. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
