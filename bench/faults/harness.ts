/**
 * One fault case's surroundings: a fresh namespace, the harness's own watches (straight to the API
 * server, never through the fault proxy), the tsoperator benchmark operator as a child process
 * running as user "operator", and the end-of-case checks (convergence, children, audit writes).
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LocalControlPlane } from "../../src/testing/index.js";
import { KubeHttp, PATCH_TYPES } from "../lib/kube-http.js";
import { ConvergenceObserver } from "../lib/observer.js";
import { PeerProcess, type PeerCommand } from "../lib/peer-process.js";
import { forEachLimited } from "../lib/phases.js";
import { PARENT_API_VERSION, PARENT_PLURAL, parentName, parentObject, payloadFor } from "../lib/workload.js";
import { minimumWrites, tallyChildren, tallyWrites, type ChildTally, type WriteTally } from "./tally.js";

/** The user the operator runs as (the audit log tells its writes apart by it). */
export const OPERATOR_USER = "operator";
/** The users of the two replicas of the leader-failover case (one each, so the audit log tells them apart). */
export const REPLICA_USERS = ["replica-a", "replica-b"] as const;

/** What every case shares. */
export interface SuiteContext {
  cp: LocalControlPlane;
  http: KubeHttp;
  /** How to start the operator (node + flags + script). */
  operator: PeerCommand;
  /** Kubeconfig files of the operator user: straight to the API server, and through the proxy. */
  kubeconfigDirect: string;
  kubeconfigViaProxy: string;
  /** Kubeconfig files (straight to the API server) of other users, e.g. {@link REPLICA_USERS}. */
  kubeconfigOf?: Record<string, string>;
  parents: number;
  logDir: string;
  log: (line: string) => void;
}

/** Counts at the end of a case. */
export interface CaseCounts extends ChildTally {
  /** Parents not converged to the harness's last spec when the case gave up waiting. */
  lostUpdates: number;
  writes: WriteTally;
  /** The fewest writes that converge the case's parents and updates. */
  minimumWrites: number;
}

/** Options of {@link CaseHarness.open}. */
export interface HarnessOptions {
  /** Start the operator (default true); false for a case that writes with its own client or starts its own processes. */
  operator?: boolean;
  /** Added to the operator process's environment (e.g. BENCH_ADAPTIVE_CONCURRENCY=off). */
  operatorEnv?: Record<string, string>;
  /** Extra flags of the benchmark operator (its fault switches: bench/operators/tsoperator-bench.ts). */
  operatorArgs?: string[];
}

/** How one operator process is started: its user (kubeconfig) and extra flags. */
export interface SpawnOptions {
  user?: string;
  args?: string[];
}

/** See the module comment. */
export class CaseHarness {
  readonly names: string[];
  readonly parentsPath: string;
  private operator: PeerProcess | undefined;
  private readonly processes: PeerProcess[] = [];
  private updates = 0;
  private readonly progress: NodeJS.Timeout;
  readonly startedAt = Date.now();

  private constructor(
    readonly ctx: SuiteContext,
    readonly namespace: string,
    readonly observer: ConvergenceObserver,
    private readonly viaProxy: boolean,
    private readonly options: HarnessOptions,
  ) {
    this.names = Array.from({ length: ctx.parents }, (_, i) => parentName(i));
    this.parentsPath = `/apis/${PARENT_API_VERSION}/namespaces/${namespace}/${PARENT_PLURAL}`;
    this.progress = setInterval(() => ctx.log(`    ${namespace}: ${observer.describe()} syncs=${this.operator?.syncCount ?? "-"}`), 5000);
  }

  /**
   * Creates the namespace, starts the watches and (unless `operator: false`) the operator, and
   * waits until it is READY. `operatorEnv` is added to the operator's environment.
   */
  static async open(ctx: SuiteContext, namespace: string, viaProxy = false, options: HarnessOptions = {}): Promise<CaseHarness> {
    const body = { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } };
    await retrying(() => ctx.http.send("POST", "/api/v1/namespaces", { body }));
    const observer = new ConvergenceObserver(ctx.http, namespace);
    await observer.start();
    const h = new CaseHarness(ctx, namespace, observer, viaProxy, options);
    if (options.operator !== false) await h.startOperator();
    return h;
  }

  /** The operator process now. */
  get operatorProcess(): PeerProcess {
    return this.operator!;
  }

  /** Starts (another) operator process and waits for READY; resolves with the spawn time. */
  async startOperator(): Promise<number> {
    const spawnedAt = Date.now();
    this.operator = await this.spawnOperator({ args: this.options.operatorArgs ?? [] });
    return spawnedAt;
  }

  /** Starts one more operator process (as `user`, with extra flags) and waits for READY. */
  async spawnOperator(options: SpawnOptions = {}): Promise<PeerProcess> {
    const user = options.user ?? OPERATOR_USER;
    const other = user !== OPERATOR_USER ? this.ctx.kubeconfigOf?.[user] : undefined;
    if (user !== OPERATOR_USER && !other) throw new Error(`no kubeconfig for user ${user} in this suite`);
    const kubeconfig = other ?? (this.viaProxy ? this.ctx.kubeconfigViaProxy : this.ctx.kubeconfigDirect);
    const logPath = join(this.ctx.logDir, `${this.namespace}.log`);
    const cmd = {
      ...this.ctx.operator,
      args: [...this.ctx.operator.args, ...(options.args ?? this.options.operatorArgs ?? [])],
      env: { ...this.ctx.operator.env, ...this.options.operatorEnv },
    };
    const process = PeerProcess.start(user === OPERATOR_USER ? "tsoperator" : user, cmd, kubeconfig, this.namespace, logPath);
    this.processes.push(process);
    await process.waitReady(60_000);
    // Right after READY the watches may take a moment to deliver (see bench/lib/phases.ts).
    await sleep(1000);
    return process;
  }

  /**
   * Creates every parent (16 in flight), recording what each must converge to; `onCreated` sees
   * each created object, `annotations` adds annotations to a parent by name.
   */
  async createParents(
    names = this.names,
    onCreated?: (created: Record<string, any>) => void,
    annotations: (name: string) => Record<string, string> | undefined = () => undefined,
  ): Promise<void> {
    this.observer.beginPhase("converge", this.names.length);
    await forEachLimited(names, 16, async (name) => {
      const body = parentObject(this.namespace, name);
      const extra = annotations(name);
      if (extra) body.metadata = { ...body.metadata, annotations: extra };
      const created = await retrying(() => this.ctx.http.send<any>("POST", this.parentsPath, { body }));
      this.observer.expect(name, { payload: payloadFor(name, 1), generation: created!.metadata.generation });
      onCreated?.(created!);
    });
  }

  /** Changes the spec of `names` (second payload), recording the new expectation. */
  async updateParents(names: string[], metadata?: Record<string, unknown>): Promise<void> {
    // Only a parent synced at the old spec costs writes for the new one: one still waiting gets
    // its first sync at the new spec.
    const behind = new Set(this.observer.notConverged());
    this.updates += names.filter((n) => !behind.has(n)).length;
    await forEachLimited(names, 16, async (name) => {
      const payload = payloadFor(name, 2);
      const patched = await retrying(() =>
        this.ctx.http.send<any>("PATCH", `${this.parentsPath}/${name}`, {
          body: { spec: { payload }, ...(metadata ? { metadata } : {}) },
          contentType: PATCH_TYPES.merge,
        }),
      );
      this.observer.expect(name, { payload, generation: patched!.metadata.generation });
    });
  }

  /** Deletes `names` (16 in flight); the parents' finalizers keep them until the operator removes them. */
  async deleteParents(names = this.names): Promise<void> {
    this.observer.beginPhase("gone", names.length);
    await forEachLimited(names, 16, async (name) => {
      await retrying(() => this.ctx.http.send("DELETE", `${this.parentsPath}/${name}`, { allow404: true }));
    });
  }

  /** Resolves when at least `count` parents have converged. */
  async waitConverged(count: number, timeoutMs: number): Promise<void> {
    await this.observer.waitConverged(count, timeoutMs);
  }

  /** Waits until every parent converged (or `timeoutMs` passed); returns when (Date.now()), or undefined. */
  async waitAllConverged(timeoutMs: number): Promise<number | undefined> {
    try {
      await this.observer.waitConverged(this.names.length, timeoutMs);
      return Date.now();
    } catch {
      return undefined;
    }
  }

  /** Adds spec updates (of parents already converged) to the fewest writes that converge the case. */
  countUpdates(n: number): void {
    this.updates += n;
  }

  /**
   * End-of-case counts: lost updates, children, and the writes of `users` (the operator's, by
   * default) since the case began; Lease writes (leader election) are not workload writes.
   */
  async counts(users: readonly string[] = [OPERATOR_USER]): Promise<CaseCounts> {
    // Let trailing writes land in the audit log (blocking mode writes them unbuffered as they complete).
    await sleep(1000);
    const snap = this.observer.snapshot();
    const children = tallyChildren(snap.parents, [...snap.configMaps, ...snap.services]);
    const audit = await this.ctx.cp.auditWrites(this.startedAt);
    return {
      lostUpdates: this.observer.notConverged().length,
      ...children,
      writes: tallyWrites(
        audit.filter((w) => w.resource !== "leases"),
        users,
        this.namespace,
        this.startedAt,
      ),
      minimumWrites: minimumWrites(this.names.length, this.updates),
    };
  }

  /** Stops the operator and the watches, frees the parents and deletes the namespace. */
  async close(): Promise<void> {
    clearInterval(this.progress);
    await Promise.all(this.processes.map((p) => p.stop(2000)));
    this.observer.stop();
    try {
      const left = (await this.ctx.http.send<any>("GET", this.parentsPath))!.items as any[];
      await forEachLimited(left, 16, async (p) => {
        await this.ctx.http.send("PATCH", `${this.parentsPath}/${p.metadata.name}`, {
          body: { metadata: { finalizers: null } },
          contentType: PATCH_TYPES.merge,
          allow404: true,
        });
      });
      await this.ctx.http.send("DELETE", `/api/v1/namespaces/${this.namespace}`, { allow404: true });
    } catch (err) {
      this.ctx.log(`    ${this.namespace}: cleanup: ${(err as Error).message}`);
    }
  }
}

/**
 * Retries a harness request for up to 30 s: right after an API server restart, requests may be
 * refused or answered 403 for a moment (FACTS.md), and the harness must not be what fails.
 */
export async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 409 || status === 422 || Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}
