import { KubeConfig } from "@kubernetes/client-node";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { ensureControlPlaneBinaries, type ControlPlaneBinaries, type EnsureBinariesOptions } from "./binaries.js";
import { generateServiceAccountKey, renderKubeconfig, writeCredentials } from "./credentials.js";
import { apiServerArgs, controllerManagerArgs, etcdArgs } from "./flags.js";
import { ManagedProcess } from "./managed-process.js";
import { findFreePorts } from "./ports.js";
import type { ControlPlaneVersions } from "./versions.js";
import { WatchdogHandle } from "./watchdog-client.js";

/** Options of {@link LocalControlPlane.start}. */
export interface LocalControlPlaneOptions {
  /** Run kube-controller-manager (garbage collector + namespace controller). Default true. */
  controllerManager?: boolean;
  /** Appended to the kube-apiserver command line (later flags win). */
  extraApiServerFlags?: string[];
  /** Service ClusterIP range. Default `10.0.0.0/16`: benchmarks create thousands of Services. */
  serviceClusterIpRange?: string;
  /** How long start() may take until the API is usable. Default 60 s. */
  startTimeoutMs?: number;
  /** Where the process logs go. Default: `<tempDir>/logs` (removed by stop()). */
  logDir?: string;
  /** How binaries are found or built. */
  binaries?: EnsureBinariesOptions;
  /** Called as start-up passes each phase, with the milliseconds since start() began. */
  onPhase?: (phase: StartPhase, elapsedMs: number) => void;
}

/** Phases of start(), reported through {@link LocalControlPlaneOptions.onPhase}. */
export type StartPhase = "binaries" | "processes-launched" | "serving-cert" | "readyz" | "default-namespace";

/** Process ids of a running control plane. */
export interface ControlPlanePids {
  etcd: number;
  apiServer: number;
  /** Undefined when started without a controller manager. */
  controllerManager?: number;
  /** The watchdog that kills the others if this process dies. */
  watchdog: number;
}

const POLL_MS = 50;
const APISERVER_GRACE_MS = 300;
const ETCD_GRACE_MS = 500;

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver and (by default)
 * kube-controller-manager, each on ports picked by the OS, in a private temp dir.
 *
 * ```ts
 * const cp = await LocalControlPlane.start();
 * const core = cp.kubeConfig.makeApiClient(CoreV1Api);
 * // ...
 * await cp.stop();
 * ```
 * The processes never outlive the process that started them: a detached watchdog kills them
 * and removes the temp dir when it dies, SIGKILL included.
 */
export class LocalControlPlane {
  private stopping: Promise<void> | undefined;
  private readonly exitHook = () => this.killNowSync();

  private constructor(
    /** The apiserver URL, `https://127.0.0.1:PORT`. */
    readonly server: string,
    /** Bearer token of user "admin" in group system:masters. */
    readonly adminToken: string,
    /** PEM bundle the apiserver serves (its self-signed cert and CA), to trust it. */
    readonly caCert: string,
    /** A kubeconfig file for the admin user (`KUBECONFIG=... kubectl get ns`). */
    readonly kubeconfigPath: string,
    /** A client-node KubeConfig for the admin user. */
    readonly kubeConfig: KubeConfig,
    /** Private directory of this control plane; removed by stop(). */
    readonly tempDir: string,
    /** Where each process's log file is. */
    readonly logDir: string,
    /** The binaries in use and where they came from. */
    readonly binaries: ControlPlaneBinaries,
    private readonly processes: ManagedProcess[],
    private readonly watchdog: WatchdogHandle,
  ) {
    process.once("exit", this.exitHook);
  }

  /** Kubernetes and etcd versions. */
  get version(): ControlPlaneVersions {
    return { ...this.binaries.versions };
  }

  /** Process ids of etcd, the apiserver, the controller manager and the watchdog. */
  get pids(): ControlPlanePids {
    const pidOf = (name: string) => this.processes.find((p) => p.name === name)?.pid;
    return {
      etcd: pidOf("etcd") ?? 0,
      apiServer: pidOf("kube-apiserver") ?? 0,
      controllerManager: pidOf("kube-controller-manager"),
      watchdog: this.watchdog.pid,
    };
  }

  /**
   * Starts a control plane and resolves once `/readyz` is OK and the `default` namespace exists.
   * On failure (a process exits, or the timeout passes) it stops what it started and throws with
   * the tail of the failing process's log.
   */
  static async start(options: LocalControlPlaneOptions = {}): Promise<LocalControlPlane> {
    const began = performance.now();
    const phase = (name: StartPhase) => options.onPhase?.(name, Math.round(performance.now() - began));
    // The RSA key takes 50-300 ms: generate it while binaries, dirs, ports and etcd get ready.
    const serviceAccountKey = generateServiceAccountKey();
    serviceAccountKey.catch(() => {}); // awaited below; avoid an unhandled rejection on early failure
    const binaries = await ensureControlPlaneBinaries(options.binaries);
    phase("binaries");
    const wantKcm = options.controllerManager ?? true;
    if (wantKcm && !binaries.kubeControllerManager) {
      throw new Error(`tsoperator: kube-controller-manager is required (controllerManager: true) but missing. ${binaries.notes.join(" ")}`);
    }
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    const tempDir = await mkdtemp(join(tmpdir(), "tsoperator-cp-"));
    const logDir = options.logDir ?? join(tempDir, "logs");
    const certDir = join(tempDir, "certs");
    await Promise.all([mkdir(logDir, { recursive: true }), mkdir(certDir), mkdir(join(tempDir, "etcd"))]);

    const watchdog = WatchdogHandle.spawn(tempDir);
    const processes: ManagedProcess[] = [];
    const launch = (name: string, command: string, args: string[]) => {
      const proc = ManagedProcess.start(name, command, args, join(logDir, `${name}.log`));
      processes.push(proc);
      watchdog.watch(proc.pid);
      return proc;
    };
    let agent: Agent | undefined;
    try {
      const [etcdClientPort, etcdPeerPort, securePort] = await findFreePorts(3);
      launch("etcd", binaries.etcd, etcdArgs({ dataDir: join(tempDir, "etcd"), clientPort: etcdClientPort, peerPort: etcdPeerPort }));
      const creds = await writeCredentials(tempDir, await serviceAccountKey);
      launch(
        "kube-apiserver",
        binaries.kubeApiServer,
        apiServerArgs({
          etcdClientPort, securePort, certDir,
          tokenFile: creds.tokenFile,
          serviceAccountKeyFile: creds.serviceAccountKeyFile,
          serviceClusterIpRange: options.serviceClusterIpRange ?? "10.0.0.0/16",
          extra: options.extraApiServerFlags ?? [],
        }),
      );
      phase("processes-launched");
      const server = `https://127.0.0.1:${securePort}`;
      const probe = new StartupProbe(processes, deadline);
      const caCert = await probe.until("the apiserver's serving certificate", () => readServingCert(certDir));
      phase("serving-cert");
      agent = new Agent({ connect: { ca: caCert }, keepAliveTimeout: 1_000 });
      const get = httpGetter(agent, server, creds.adminToken);
      await probe.until("/readyz", async () => ((await get("/readyz")) === 200 ? true : undefined));
      phase("readyz");
      const kubeconfigPath = join(tempDir, "kubeconfig");
      const kubeconfigText = renderKubeconfig(server, caCert, creds.adminToken);
      await writeFile(kubeconfigPath, kubeconfigText, { mode: 0o600 });
      if (wantKcm) launch("kube-controller-manager", binaries.kubeControllerManager!, controllerManagerArgs(kubeconfigPath));
      await probe.until("the default namespace", async () =>
        (await get("/api/v1/namespaces/default")) === 200 ? true : undefined,
      );
      phase("default-namespace");
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeconfigText);
      return new LocalControlPlane(server, creds.adminToken, caCert, kubeconfigPath, kubeConfig, tempDir, logDir, binaries, processes, watchdog);
    } catch (err) {
      await stopAll(processes);
      watchdog.release();
      await rm(tempDir, { recursive: true, force: true, maxRetries: 3 });
      throw err;
    } finally {
      await agent?.close();
    }
  }

  /**
   * Restarts kube-controller-manager. Its garbage collector discovers new resource types (CRDs
   * installed after it started) only every 30 s; a restart makes it watch them at once, so owner
   * cascades of custom resources happen in milliseconds instead of up to 30 s. `TestKit` calls
   * this after installing CRDs.
   */
  async restartControllerManager(): Promise<void> {
    const index = this.processes.findIndex((p) => p.name === "kube-controller-manager");
    if (index < 0) throw new Error("this control plane runs no kube-controller-manager (started with controllerManager: false)");
    await this.processes[index]!.stop(APISERVER_GRACE_MS);
    const proc = ManagedProcess.start(
      "kube-controller-manager",
      this.binaries.kubeControllerManager!,
      controllerManagerArgs(this.kubeconfigPath),
      join(this.logDir, "kube-controller-manager.log"),
    );
    this.processes[index] = proc;
    this.watchdog.watch(proc.pid);
  }

  /** True when this control plane runs kube-controller-manager (garbage collector, namespaces). */
  get hasControllerManager(): boolean {
    return this.processes.some((p) => p.name === "kube-controller-manager");
  }

  /**
   * Stops the apiserver and controller manager (SIGTERM, SIGKILL after 300 ms: the apiserver
   * would otherwise linger 15 s and more), then etcd, then removes the temp dir. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await stopAll(this.processes);
      await rm(this.tempDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
      this.watchdog.release();
      process.removeListener("exit", this.exitHook);
    })();
    return this.stopping;
  }

  /** Last resort on process exit without stop(): synchronous SIGKILL and removal. */
  private killNowSync(): void {
    for (const p of this.processes) {
      try {
        if (!p.exit) process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    try {
      rmSync(this.tempDir, { recursive: true, force: true });
    } catch {
      // the watchdog will retry
    }
  }
}

/** Stops the API-facing processes first with a short grace, then etcd. */
async function stopAll(processes: ManagedProcess[]): Promise<void> {
  await Promise.all(processes.filter((p) => p.name !== "etcd").map((p) => p.stop(APISERVER_GRACE_MS)));
  await Promise.all(processes.filter((p) => p.name === "etcd").map((p) => p.stop(ETCD_GRACE_MS)));
}

/** Polls a condition during start-up, failing fast when a process exits or time runs out. */
class StartupProbe {
  constructor(private readonly processes: ManagedProcess[], private readonly deadline: number) {}

  async until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    for (;;) {
      const dead = this.processes.find((p) => p.exit);
      if (dead) {
        const exit = dead.exit!;
        const how = exit.error ?? (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`);
        throw new Error(
          `tsoperator: ${dead.name} ${how} while waiting for ${what}.\n--- last lines of ${dead.logFile} ---\n${await dead.logTail()}`,
        );
      }
      let value: T | undefined;
      try {
        value = await check();
      } catch {
        value = undefined; // not listening yet, TLS not ready, ...
      }
      if (value !== undefined) return value;
      if (Date.now() > this.deadline) {
        const apiserver = this.processes.find((p) => p.name === "kube-apiserver") ?? this.processes[0];
        throw new Error(
          `tsoperator: timed out waiting for ${what}.\n--- last lines of ${apiserver?.logFile} ---\n${await apiserver?.logTail()}`,
        );
      }
      await sleep(POLL_MS);
    }
  }
}

async function readServingCert(certDir: string): Promise<string | undefined> {
  try {
    const pem = await readFile(join(certDir, "apiserver.crt"), "utf8");
    // Written in one go, but make sure we do not read it half-way.
    return pem.trimEnd().endsWith("-----END CERTIFICATE-----") ? pem : undefined;
  } catch {
    return undefined;
  }
}

function httpGetter(agent: Agent, server: string, token: string): (path: string) => Promise<number> {
  return async (path) => {
    const res = await request(server + path, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${token}` },
      headersTimeout: 2_000,
      bodyTimeout: 2_000,
    });
    await res.body.dump();
    return res.statusCode;
  };
}
