import { spawn } from "node:child_process";
import { join } from "node:path";
import { ETCD_VERSION, KUBERNETES_VERSION, MINIMUM_GO_VERSION } from "./versions.js";

/** Writes one progress line (to stderr by default). */
export type ProgressLogger = (line: string) => void;

/** Raised when `go` is missing or a build fails; the message says what to do instead. */
export class ControlPlaneBuildError extends Error {
  /** The last lines of go's output, when go ran. */
  readonly outputTail: string;
  constructor(what: string, outputTail = "") {
    super(
      `tsoperator: ${what}.\n` +
        `Install Go >= ${MINIMUM_GO_VERSION} (https://go.dev/dl/), or set KUBEBUILDER_ASSETS to a directory ` +
        `with kube-apiserver/etcd/kube-controller-manager binaries (e.g. from controller-runtime's setup-envtest).` +
        (outputTail ? `\n--- last lines of go's output ---\n${outputTail}` : ""),
    );
    this.name = "ControlPlaneBuildError";
    this.outputTail = outputTail;
  }
}

/** Where to find the Go modules and where to put the binaries. */
export interface GoBuildTarget {
  /** The package's `controlplane/` directory. */
  goModulesDir: string;
  /** Directory the binaries are written to (a temporary one; the caller renames it). */
  outDir: string;
  /** Environment for `go` (PATH decides which go runs). */
  env: NodeJS.ProcessEnv;
  log: ProgressLogger;
}

/** Builds etcd, then kube-apiserver and kube-controller-manager, into `outDir`. */
export async function buildControlPlaneWithGo(target: GoBuildTarget): Promise<void> {
  const env = { ...target.env, CGO_ENABLED: "0" };
  await runGoPhase(
    `building etcd ${ETCD_VERSION} from Go modules`,
    ["build", "-trimpath", "-ldflags", "-s -w", "-o", join(target.outDir, "etcd"), "."],
    join(target.goModulesDir, "etcd"),
    env,
    target.log,
  );
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, "").split(".");
  const ldflags =
    `-s -w -X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}` +
    ` -X k8s.io/component-base/version.gitMajor=${major} -X k8s.io/component-base/version.gitMinor=${minor}`;
  await runGoPhase(
    `building kube-apiserver + kube-controller-manager ${KUBERNETES_VERSION} — a cold build takes ~5 minutes`,
    [
      "build",
      "-trimpath",
      "-ldflags",
      ldflags,
      "-o",
      target.outDir + "/",
      "k8s.io/kubernetes/cmd/kube-apiserver",
      "k8s.io/kubernetes/cmd/kube-controller-manager",
    ],
    join(target.goModulesDir, "kube"),
    env,
    target.log,
  );
}

/** Runs one `go` command, reporting elapsed time every ~15 s and keeping the output's tail. */
function runGoPhase(phase: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: ProgressLogger): Promise<void> {
  const started = Date.now();
  log(`tsoperator: ${phase}`);
  return new Promise((resolve, reject) => {
    const tail = new OutputTail(40);
    const child = spawn("go", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => tail.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => tail.push(chunk));
    const ticker = setInterval(() => {
      log(`tsoperator:   ... still ${phase.split(" —")[0]} (${Math.round((Date.now() - started) / 1000)} s)`);
    }, 15_000);
    child.on("error", (err: NodeJS.ErrnoException) => {
      clearInterval(ticker);
      reject(
        new ControlPlaneBuildError(
          err.code === "ENOENT"
            ? "the control plane binaries are not built yet and `go` is not on PATH"
            : `could not run go: ${err.message}`,
        ),
      );
    });
    child.on("close", (code, signal) => {
      clearInterval(ticker);
      const seconds = Math.round((Date.now() - started) / 1000);
      if (code === 0) {
        log(`tsoperator:   done in ${seconds} s`);
        resolve();
      } else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new ControlPlaneBuildError(`\`go ${args[0]}\` in ${cwd} ${how} after ${seconds} s`, tail.text()));
      }
    });
  });
}

/** Keeps the last N lines of a process's output. */
class OutputTail {
  private lines: string[] = [];
  private partial = "";
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString("utf8")).split("\n");
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text(): string {
    return [...this.lines, this.partial].filter((l) => l.length > 0).join("\n");
  }
}
