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

/** What every case shares. */
export interface SuiteContext {
  cp: LocalControlPlane;
  http: KubeHttp;
  /** How to start the operator (node + flags + script). */
  operator: PeerCommand;
  /** Kubeconfig files of the operator user: straight to the API server, and through the proxy. */
  kubeconfigDirect: string;
  kubeconfigViaProxy: string;
  parents: number;
  logDir: string;
  log: (line: string) => void;
}

/** Options of {@link CaseHarness.open}. */
export interface HarnessOptions {
  /** Start the operator (default true); false for a case that writes with its own client. */
  operator?: boolean;
  /** Added to the operator process's environment (e.g. BENCH_ADAPTIVE_CONCURRENCY=off). */
  operatorEnv?: Record<string, string>;
}

/** Counts at the end of a case. */
export interface CaseCounts extends ChildTally {
  /** Parents not converged to the harness's last spec when the case gave up waiting. */
  lostUpdates: number;
  writes: WriteTally;
  /** The fewest writes that converge the case's parents and updates. */
  minimumWrites: number;
}

/** See the module comment. */
export class CaseHarness {
  readonly names: string[];
  readonly parentsPath: string;
  private operator: PeerProcess | undefined;
  private updates = 0;
  private readonly progress: NodeJS.Timeout;
  readonly startedAt = Date.now();

  private constructor(
    readonly ctx: SuiteContext,
    readonly namespace: string,
    readonly observer: ConvergenceObserver,
    private readonly viaProxy: boolean,
    private readonly operatorEnv: Record<string, string>,
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
    const h = new CaseHarness(ctx, namespace, observer, viaProxy, options.operatorEnv ?? {});
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
    const kubeconfig = this.viaProxy ? this.ctx.kubeconfigViaProxy : this.ctx.kubeconfigDirect;
    const logPath = join(this.ctx.logDir, `${this.namespace}.log`);
    const command = { ...this.ctx.operator, env: { ...this.ctx.operator.env, ...this.operatorEnv } };
    this.operator = PeerProcess.start("tsoperator", command, kubeconfig, this.namespace, logPath);
    await this.operator.waitReady(60_000);
    // Right after READY the watches may take a moment to deliver (see bench/lib/phases.ts).
    await sleep(1000);
    return spawnedAt;
  }

  /** Creates every parent (16 in flight), recording what each must converge to; `onCreated` sees each created object. */
  async createParents(names = this.names, onCreated?: (created: Record<string, any>) => void): Promise<void> {
    this.observer.beginPhase("converge", this.names.length);
    await forEachLimited(names, 16, async (name) => {
      const created = await retrying(() => this.ctx.http.send<any>("POST", this.parentsPath, { body: parentObject(this.namespace, name) }));
      this.observer.expect(name, { payload: payloadFor(name, 1), generation: created!.metadata.generation });
      onCreated?.(created!);
    });
  }

  /** Changes the spec of `names` (second payload), recording the new expectation. */
  async updateParents(names: string[]): Promise<void> {
    // Only a parent synced at the old spec costs writes for the new one: one still waiting gets
    // its first sync at the new spec.
    const behind = new Set(this.observer.notConverged());
    this.updates += names.filter((n) => !behind.has(n)).length;
    await forEachLimited(names, 16, async (name) => {
      const payload = payloadFor(name, 2);
      const patched = await retrying(() =>
        this.ctx.http.send<any>("PATCH", `${this.parentsPath}/${name}`, { body: { spec: { payload } }, contentType: PATCH_TYPES.merge }),
      );
      this.observer.expect(name, { payload, generation: patched!.metadata.generation });
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

  /** End-of-case counts: lost updates, children, and the operator's writes since the case began. */
  async counts(): Promise<CaseCounts> {
    // Let trailing writes land in the audit log (blocking mode writes them unbuffered as they complete).
    await sleep(1000);
    const snap = this.observer.snapshot();
    const children = tallyChildren(snap.parents, [...snap.configMaps, ...snap.services]);
    const audit = await this.ctx.cp.auditWrites(this.startedAt);
    return {
      lostUpdates: this.observer.notConverged().length,
      ...children,
      writes: tallyWrites(audit, OPERATOR_USER, this.namespace, this.startedAt),
      minimumWrites: minimumWrites(this.names.length, this.updates),
    };
  }

  /** Stops the operator and the watches, frees the parents and deletes the namespace. */
  async close(): Promise<void> {
    clearInterval(this.progress);
    await this.operator?.stop(2000);
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
