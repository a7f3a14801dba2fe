import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Who holds a build lock; written inside the lock directory. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** A held lock; `release()` removes it. */
export interface HeldLock {
  release(): Promise<void>;
}

/** Options of {@link acquireDirLock}. */
export interface AcquireLockOptions {
  /** Called now and then while another live process holds the lock. */
  onWait?: (owner: LockOwner | undefined, waitedMs: number) => void;
  /** How often to report waiting through `onWait`. */
  reportEveryMs?: number;
}

/**
 * A cross-process lock built on `mkdir` (atomic on every file system we care about). Parallel
 * test processes on a fresh machine use it so that only one of them builds the binaries while
 * the others wait. A lock whose owner process is gone (same host, pid not alive) is stale and
 * is taken over; so is an unreadable lock older than a few seconds.
 */
export async function acquireDirLock(lockDir: string, options: AcquireLockOptions = {}): Promise<HeldLock> {
  const started = Date.now();
  let lastReport = 0;
  const reportEveryMs = options.reportEveryMs ?? 15_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await writeFile(join(lockDir, "owner.json"), JSON.stringify(owner));
      return { release: () => rm(lockDir, { recursive: true, force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await readOwner(lockDir);
    if (await isStale(lockDir, owner)) {
      // Remove and race again through mkdir: only one of several waiters wins.
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    const waited = Date.now() - started;
    if (options.onWait && waited - lastReport >= reportEveryMs) {
      lastReport = waited;
      options.onWait(owner, waited);
    }
    await sleep(500);
  }
}

async function readOwner(lockDir: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(join(lockDir, "owner.json"), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

async function isStale(lockDir: string, owner: LockOwner | undefined): Promise<boolean> {
  if (!owner) {
    // The owner writes owner.json right after mkdir; a lock without one for long is debris.
    try {
      return Date.now() - (await stat(lockDir)).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  if (owner.host !== hostname()) return false; // cannot check a pid on another host
  return !isProcessAlive(owner.pid);
}

/** True when a process with this pid exists (EPERM still means it exists). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
