import { KubeConfig } from "@kubernetes/client-node";
import { rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { loadClusterConfig, type ClusterConfig } from "../../kube/cluster-config.js";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { ensureControlPlaneBinaries, type ControlPlaneBinaries, type EnsureBinariesOptions } from "./binaries.js";
import {
  auditFlags,
  auditWritesOf,
  DEFAULT_AUDIT_POLICY,
  readAuditEvents,
  type AuditEvent,
  type AuditOptions,
  type AuditWrite,
} from "./audit.js";
import { generateServiceAccountKey, renderKubeconfig, writeCredentials, type ControlPlaneUser } from "./credentials.js";
import { compactEtcd } from "./etcd-admin.js";
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
  /**
   * Users besides "admin", each with a static token ({@link LocalControlPlane.kubeconfigText}):
   * an operator run as its own user is told apart from the test in the audit log.
   */
  users?: ControlPlaneUser[];
  /** Turn the API server's audit log on ({@link LocalControlPlane.auditWrites}). Off by default. */
  audit?: AuditOptions | boolean;
}

/** Options of {@link LocalControlPlane.stopApiServer}. */
export interface StopApiServerOptions {
  /**
   * `SIGKILL` (default): the process dies at once, connections are cut, in-flight requests are
   * lost (a crash). `SIGTERM`: a graceful shutdown, SIGKILL after `graceMs`.
   */
  signal?: "SIGKILL" | "SIGTERM";
  /** With SIGTERM: how long to wait before SIGKILL. Default 300 ms. */
  graceMs?: number;
}

/** Options of {@link LocalControlPlane.startApiServer}. */
export interface StartApiServerOptions {
  /** How long until `/readyz` must answer 200. Default 60 s. */
  timeoutMs?: number;
}

/** Options of {@link LocalControlPlane.restartApiServer}. */
export interface RestartApiServerOptions extends StopApiServerOptions, StartApiServerOptions {
  /** How long the API server stays down between the stop and the new start. Default 0. */
  downMs?: number;
}

/** How the last {@link LocalControlPlane.startApiServer} went (times are `Date.now()`). */
export interface ApiServerStart {
  /** When the new process was launched. */
  startedAt: number;
  /** When it first answered HTTP at all (`/readyz`, any status): from here clients get answers. */
  servingAt: number;
  /** When `/readyz` first answered 200. */
  readyAt: number;
  /** The `/readyz` checks seen failing between servingAt and readyAt (e.g. `poststarthook/rbac/bootstrap-roles`). */
  notReadyChecks: string[];
}

/** Timestamps (`Date.now()`) of an API server restart. */
export interface ApiServerRestart extends ApiServerStart {
  /** When the old process was gone. */
  stoppedAt: number;
}

/** Phases of start(), reported through {@link LocalControlPlaneOptions.onPhase}. */
export type StartPhase = "binaries" | "processes-launched" | "serving-cert" | "readyz" | "default-namespace";

/** What the control plane remembers to relaunch its API server exactly as before. */
interface ApiServerLaunch {
  command: string;
  args: string[];
  certDir: string;
}

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
  /** Set while the API server is stopped by stopApiServer(). */
  private apiServerDown = false;
  private lastStart: ApiServerStart | undefined;

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
    private readonly apiServerLaunch: ApiServerLaunch,
    /** The etcd client URL, `http://127.0.0.1:PORT` (its JSON gateway serves `/v3/...`). */
    readonly etcdEndpoint: string,
    private readonly userTokens: ReadonlyMap<string, string>,
    /** The audit log file, when started with `audit`. */
    readonly auditLogPath: string | undefined,
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
      const creds = await writeCredentials(tempDir, await serviceAccountKey, options.users ?? []);
      const audit = options.audit === true ? {} : options.audit || undefined;
      const auditLogPath = audit ? join(tempDir, "audit.log") : undefined;
      const auditArgs: string[] = [];
      if (audit) {
        const policyFile = join(tempDir, "audit-policy.yaml");
        await writeFile(policyFile, audit.policy ?? DEFAULT_AUDIT_POLICY);
        auditArgs.push(...auditFlags(policyFile, auditLogPath!, audit.mode ?? "blocking"));
      }
      const apiServerLaunch: ApiServerLaunch = {
        command: binaries.kubeApiServer,
        certDir,
        args: apiServerArgs({
          etcdClientPort,
          securePort,
          certDir,
          tokenFile: creds.tokenFile,
          serviceAccountKeyFile: creds.serviceAccountKeyFile,
          serviceClusterIpRange: options.serviceClusterIpRange ?? "10.0.0.0/16",
          extra: [...auditArgs, ...(options.extraApiServerFlags ?? [])],
        }),
      };
      launch("kube-apiserver", apiServerLaunch.command, apiServerLaunch.args);
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
      await probe.until("the default namespace", async () => ((await get("/api/v1/namespaces/default")) === 200 ? true : undefined));
      phase("default-namespace");
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeconfigText);
      return new LocalControlPlane(
        server,
        creds.adminToken,
        caCert,
        kubeconfigPath,
        kubeConfig,
        tempDir,
        logDir,
        binaries,
        processes,
        watchdog,
        apiServerLaunch,
        `http://127.0.0.1:${etcdClientPort}`,
        creds.userTokens,
        auditLogPath,
      );
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

  /**
   * Stops kube-apiserver, by default with SIGKILL (a crash: connections cut, nothing drained).
   * etcd, the controller manager, the port, the serving certificate and all data stay; clients see
   * connection refused until {@link startApiServer}.
   */
  async stopApiServer(options: StopApiServerOptions = {}): Promise<void> {
    const proc = this.apiServerProcess();
    this.apiServerDown = true;
    if (options.signal === "SIGTERM") {
      await proc.stop(options.graceMs ?? APISERVER_GRACE_MS);
    } else {
      await proc.kill();
    }
  }

  /**
   * Starts kube-apiserver again after {@link stopApiServer}: same command line, so the same port,
   * serving certificate (it is reused from the cert dir), tokens, audit log (appended) and etcd data.
   * Resolves when `/readyz` answers 200, with that moment in `Date.now()` time.
   */
  async startApiServer(options: StartApiServerOptions = {}): Promise<number> {
    const index = this.processes.findIndex((p) => p.name === "kube-apiserver");
    if (!this.processes[index]!.exit) throw new Error("the API server is running: stopApiServer() first");
    const { command, args } = this.apiServerLaunch;
    const startedAt = Date.now();
    const proc = ManagedProcess.start("kube-apiserver", command, args, join(this.logDir, "kube-apiserver.log"));
    this.processes[index] = proc;
    this.watchdog.watch(proc.pid);
    const agent = new Agent({ connect: { ca: this.caCert }, keepAliveTimeout: 1_000 });
    let servingAt: number | undefined;
    const notReady = new Set<string>();
    try {
      const probe = new StartupProbe([proc], Date.now() + (options.timeoutMs ?? 60_000));
      await probe.until("/readyz after a restart", async () => {
        const res = await request(`${this.server}/readyz?verbose`, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${this.adminToken}` },
          headersTimeout: 2_000,
          bodyTimeout: 2_000,
        });
        const text = await res.body.text();
        servingAt ??= Date.now();
        if (res.statusCode === 200) return true;
        for (const m of text.matchAll(/^\[-\]([^ ]+) failed/gm)) notReady.add(m[1]!);
        return undefined;
      });
      const readyAt = Date.now();
      this.lastStart = { startedAt, servingAt: servingAt ?? readyAt, readyAt, notReadyChecks: [...notReady] };
      this.apiServerDown = false;
      return readyAt;
    } finally {
      await agent.close();
    }
  }

  /** How the last {@link startApiServer} went; undefined before the first. */
  get lastApiServerStart(): ApiServerStart | undefined {
    return this.lastStart && { ...this.lastStart, notReadyChecks: [...this.lastStart.notReadyChecks] };
  }

  /**
   * Stops the API server (SIGKILL by default), keeps it down for `downMs`, starts it again and
   * waits for `/readyz`. Returns when each step happened.
   */
  async restartApiServer(options: RestartApiServerOptions = {}): Promise<ApiServerRestart> {
    await this.stopApiServer(options);
    const stoppedAt = Date.now();
    if (options.downMs) await sleep(options.downMs);
    await this.startApiServer(options);
    return { stoppedAt, ...this.lastStart! };
  }

  /** True between {@link stopApiServer} and the end of {@link startApiServer}. */
  get isApiServerDown(): boolean {
    return this.apiServerDown;
  }

  /**
   * Compacts etcd's history up to its current revision (physically) and returns that revision.
   * Watches served from the API server's watch cache keep working from older resourceVersions until
   * the API server restarts; after a restart they answer 410 Gone.
   */
  compactEtcd(): Promise<number> {
    return compactEtcd(this.etcdEndpoint);
  }

  /**
   * The write requests recorded in the API server's audit log so far (start with `audit`), oldest
   * first, optionally only those received at or after `since`. With `audit: { mode: "batch" }`
   * the newest events may not be written yet.
   */
  async auditWrites(since?: Date | number): Promise<AuditWrite[]> {
    return auditWritesOf(await this.auditEvents(since));
  }

  /**
   * Every event of the API server's audit log so far (what the policy records: with a policy of
   * your own, reads and watches too), oldest first, optionally only of requests received at or
   * after `since`. A request may have several events (stages); `auditID` ties them together.
   */
  async auditEvents(since?: Date | number): Promise<AuditEvent[]> {
    if (!this.auditLogPath) throw new Error("this control plane was started without audit logging (audit: true)");
    const all = await readAuditEvents(this.auditLogPath);
    if (since === undefined) return all;
    const from = typeof since === "number" ? since : since.getTime();
    return all.filter((e) => e.time.getTime() >= from);
  }

  /** The bearer token of a user given in `users` ("admin" for the admin). */
  tokenOf(user: string): string {
    if (user === "admin") return this.adminToken;
    const token = this.userTokens.get(user);
    if (!token) throw new Error(`no user ${JSON.stringify(user)} on this control plane (start it with users: [{ name }])`);
    return token;
  }

  /**
   * A kubeconfig (YAML) for `user` (default admin), pointing at `server` (default the API server;
   * e.g. a {@link FaultProxy}'s URL: the proxy passes TLS through, so the CA stays the same).
   */
  kubeconfigText(options: { user?: string; server?: string } = {}): string {
    const user = options.user ?? "admin";
    return renderKubeconfig(options.server ?? this.server, this.caCert, this.tokenOf(user), "tsoperator-local", user);
  }

  /**
   * The same as {@link kubeconfigText}, loaded by tsoperator's own loader (`loadClusterConfig`)
   * from a file in this control plane's temp dir: what TestKit runs operators with.
   */
  clusterConfigFor(options: { user?: string; server?: string } = {}): ClusterConfig {
    const text = this.kubeconfigText(options);
    const file = join(this.tempDir, `kubeconfig-${createHash("sha256").update(text).digest("hex").slice(0, 12)}`);
    writeFileSync(file, text, { mode: 0o600 });
    return loadClusterConfig({ path: file });
  }

  /** The same as {@link kubeconfigText}, as a client-node KubeConfig. */
  kubeConfigFor(options: { user?: string; server?: string } = {}): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigText(options));
    return kc;
  }

  private apiServerProcess(): ManagedProcess {
    return this.processes.find((p) => p.name === "kube-apiserver")!;
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
  constructor(
    private readonly processes: ManagedProcess[],
    private readonly deadline: number,
  ) {}

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
