/**
 * The peers the harness compares, and how each is built and started. Operator peers watch and
 * reconcile on their own; raw peers only issue the writes the harness streams to them.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { PeerCommand } from "./peer-process.js";

const run = promisify(execFile);

/** Operator: watches and reconciles. Raw: writes what the harness streams on stdin. */
export type PeerKind = "operator" | "raw";

/** A benchmark peer. */
export interface PeerDefinition {
  name: string;
  kind: PeerKind;
  /** Builds whatever is missing and returns how to start the peer. */
  prepare(log: (line: string) => void): Promise<PeerCommand>;
}

/** The repository root (the directory holding package.json and bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "bench"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("bench: cannot find the repository root");
    dir = up;
  }
  return dir;
}

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir)
      .filter((f) => /\.go$|^go\.(mod|sum)$/.test(f))
      .map((f) => statSync(join(dir, f)).mtimeMs),
  );
}

/** Builds a Go peer into bench/.bin/<binary> unless a binary newer than its sources is there. */
async function buildGoPeer(moduleDir: string, binary: string, log: (line: string) => void): Promise<string> {
  const root = repoRoot();
  const src = join(root, "bench", "peers", moduleDir);
  const out = join(root, "bench", ".bin", binary);
  if (existsSync(out) && statSync(out).mtimeMs >= newestMtime(src)) return out;
  await mkdir(dirname(out), { recursive: true });
  log(`building ${binary} (go build in bench/peers/${moduleDir}) ...`);
  const began = performance.now();
  await run("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", out, "."], {
    cwd: src,
    env: { ...process.env, CGO_ENABLED: "0" },
    maxBuffer: 16 * 1024 * 1024,
  });
  log(`built ${binary} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  return out;
}

/** Node flags of the Node peers (tsoperator and raw-node alike). */
export const NODE_PEER_FLAGS = ["--max-semi-space-size=8"];

function nodePeer(name: string, kind: PeerKind, script: string, concurrency: number): PeerDefinition {
  return {
    name,
    kind,
    async prepare() {
      // The harness runs compiled (dist/bench/...); the peer script sits next to it.
      const path = join(repoRoot(), "dist", "bench", script);
      if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
      // The V8 setting tsoperator's generated Deployment uses (docs/deploying.md): V8 sizes its
      // young generation from the machine's memory (up to 128 MB of RSS on this 24 GiB machine).
      // BENCH_CPU_PROF_DIR=<dir>: profile the Node peers of any workload (`--cpu-prof` is refused in NODE_OPTIONS);
      // summarize with dist/bench/profile/cpu-summary.js.
      const dir = process.env.BENCH_CPU_PROF_DIR;
      const prof = dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
      return { command: process.execPath, args: [...NODE_PEER_FLAGS, ...prof, path, "--concurrency", String(concurrency)] };
    },
  };
}

/** Every peer the harness knows, by name. */
export function allPeers(concurrency: number): PeerDefinition[] {
  const conc = ["--concurrency", String(concurrency)];
  return [
    {
      name: "controller-runtime",
      kind: "operator",
      async prepare(log) {
        return { command: await buildGoPeer("controller-runtime", "controller-runtime-bench", log), args: conc };
      },
    },
    {
      name: "raw-client-go",
      kind: "raw",
      async prepare(log) {
        return { command: await buildGoPeer("raw-client-go", "raw-client-go-bench", log), args: conc };
      },
    },
    nodePeer("raw-node", "raw", "peers/raw-node.js", concurrency),
    nodePeer("tsoperator", "operator", "operators/tsoperator-bench.js", concurrency),
  ];
}

/** Peers run when `--peers` is not given. */
export const DEFAULT_PEERS = ["tsoperator", "controller-runtime", "raw-client-go", "raw-node"];
