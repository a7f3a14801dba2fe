/**
 * Watches a benchmark namespace (parents, and the children carrying the tracking label) and
 * tells when every parent has converged to what the harness expects, or when all are gone.
 * Three watches per namespace: the harness's own load on the apiserver stays small and constant
 * across peers.
 */
import { KubeHttp } from "./kube-http.js";
import { PARENT_API_VERSION, PARENT_PLURAL, PAYLOAD_ANNOTATION, TRACKING_LABEL } from "./workload.js";

type Obj = Record<string, any>;

/** What the harness expects a parent to converge to. */
export interface Expectation {
  payload: string;
  /** The parent's metadata.generation after the harness's last spec write. */
  generation: number;
}

/** One point of a convergence curve: milliseconds since the phase began, parents converged. */
export type TimelinePoint = [ms: number, converged: number];

/** See the module comment. */
export class ConvergenceObserver {
  private readonly parents = new Map<string, Obj>();
  private readonly configMaps = new Map<string, Obj>();
  private readonly services = new Map<string, Obj>();
  private readonly expected = new Map<string, Expectation>();
  private readonly converged = new Set<string>();
  private readonly abort = new AbortController();
  private phaseStart = 0;
  private phaseMode: "converge" | "gone" = "converge";
  private phaseTotal = 0;
  private timeline: TimelinePoint[] = [];
  private onChange: (() => void) | undefined;
  private readonly parentListeners = new Set<(parent: string) => void>();

  constructor(
    private readonly http: KubeHttp,
    private readonly namespace: string,
  ) {}

  /** Lists and starts watching; resolves once the three watches are open. */
  async start(): Promise<void> {
    const ns = this.namespace;
    const sel = `labelSelector=${encodeURIComponent(TRACKING_LABEL)}`;
    await Promise.all([
      this.follow(`/apis/${PARENT_API_VERSION}/namespaces/${ns}/${PARENT_PLURAL}`, "", this.parents),
      this.follow(`/api/v1/namespaces/${ns}/configmaps`, sel, this.configMaps),
      this.follow(`/api/v1/namespaces/${ns}/services`, sel, this.services),
    ]);
  }

  /** Stops the watches. */
  stop(): void {
    this.abort.abort();
  }

  /**
   * Begins a phase: forgets convergence so far and starts its clock and timeline, which counts
   * converged parents (`converge`) or deleted parents out of `total` (`gone`).
   */
  beginPhase(mode: "converge" | "gone", total: number): void {
    this.phaseMode = mode;
    this.phaseTotal = total;
    this.converged.clear();
    this.timeline = [[0, 0]];
    this.phaseStart = performance.now();
  }

  /** Records what a parent must converge to (call after the harness's write returned). */
  expect(name: string, expectation: Expectation): void {
    this.expected.set(name, expectation);
    this.check(name);
  }

  /** Stops expecting anything of a parent (the harness deleted it). */
  forget(name: string): void {
    this.expected.delete(name);
    this.converged.delete(name);
  }

  /** True while a parent of that name exists (deleting or not). */
  exists(name: string): boolean {
    return this.parents.has(name);
  }

  /**
   * Calls `listener` with a parent's name after every event on that parent or one of its
   * children (W5 tracks many changes per parent this way). Returns the unsubscribe function.
   */
  onParentEvent(listener: (parent: string) => void): () => void {
    this.parentListeners.add(listener);
    return () => this.parentListeners.delete(listener);
  }

  /** A parent and its three children as the watches show them now (wire objects; missing ones undefined). */
  view(name: string): { parent?: Obj; configMapA?: Obj; configMapB?: Obj; service?: Obj } {
    return {
      parent: this.parents.get(name),
      configMapA: this.configMaps.get(`${name}-a`),
      configMapB: this.configMaps.get(`${name}-b`),
      service: this.services.get(name),
    };
  }

  /** Number of parents that exist now. */
  get parentCount(): number {
    return this.parents.size;
  }

  /**
   * Resolves when `count` parents have converged, with the phase's elapsed milliseconds and its
   * timeline; rejects after `timeoutMs`.
   */
  waitConverged(count: number, timeoutMs: number): Promise<{ ms: number; timeline: TimelinePoint[] }> {
    return this.waitFor(
      () => this.converged.size >= count,
      timeoutMs,
      () => `${this.converged.size}/${count} converged`,
    );
  }

  /** Resolves when no parent is left in the namespace. */
  waitGone(total: number, timeoutMs: number): Promise<{ ms: number; timeline: TimelinePoint[] }> {
    return this.waitFor(
      () => this.parents.size === 0,
      timeoutMs,
      () => `${total - this.parents.size}/${total} gone`,
    );
  }

  /** Number of parents converged to what the harness expects now. */
  get convergedCount(): number {
    return this.converged.size;
  }

  /** Names of the parents that have not converged to what the harness expects. */
  notConverged(): string[] {
    return [...this.expected.keys()].filter((name) => !this.converged.has(name));
  }

  /** The parents and labelled children seen now (wire objects), for end-of-run checks. */
  snapshot(): { parents: Obj[]; configMaps: Obj[]; services: Obj[] } {
    return { parents: [...this.parents.values()], configMaps: [...this.configMaps.values()], services: [...this.services.values()] };
  }

  /** How many parents, labelled ConfigMaps and labelled Services exist now. */
  sizes(): { parents: number; configMaps: number; services: number } {
    return { parents: this.parents.size, configMaps: this.configMaps.size, services: this.services.size };
  }

  /** Progress line for stderr. */
  describe(): string {
    return `parents=${this.parents.size} converged=${this.converged.size} configmaps=${this.configMaps.size} services=${this.services.size}`;
  }

  private waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<{ ms: number; timeline: TimelinePoint[] }> {
    return new Promise((resolve, reject) => {
      const finish = () => {
        const ms = performance.now() - this.phaseStart;
        clearTimeout(timer);
        this.onChange = undefined;
        resolve({ ms, timeline: this.timeline });
      };
      const timer = setTimeout(() => {
        this.onChange = undefined;
        reject(new Error(`timed out after ${timeoutMs} ms: ${what()}`));
      }, timeoutMs);
      this.onChange = () => {
        if (done()) finish();
      };
      if (done()) finish();
    });
  }

  /** Lists `path`, then watches it from the list's resourceVersion, re-watching when it ends. */
  private async follow(path: string, selector: string, into: Map<string, Obj>): Promise<void> {
    const q = selector ? `?${selector}&` : "?";
    const list = await this.listAll(path, q);
    for (const item of list.items as Obj[]) this.apply("ADDED", item, into);
    let rv: string = list.metadata.resourceVersion;
    const loop = async () => {
      while (!this.abort.signal.aborted) {
        try {
          await this.http.watch(
            `${path}${q}watch=true&allowWatchBookmarks=true&timeoutSeconds=3600&resourceVersion=${rv}`,
            this.abort.signal,
            (type, object) => {
              if (object.metadata?.resourceVersion) rv = object.metadata.resourceVersion;
              if (type === "ERROR") throw new Error(`watch ${path}: ${JSON.stringify(object)}`);
              if (type !== "BOOKMARK") this.apply(type, object, into);
            },
          );
        } catch (err) {
          if (this.abort.signal.aborted) return;
          process.stderr.write(`bench: watch ${path} failed (${(err as Error).message}); relisting\n`);
          // Relist until the API server answers: it may be down for a while (bench/faults).
          for (;;) {
            await new Promise((r) => setTimeout(r, 200));
            if (this.abort.signal.aborted) return;
            try {
              const again = await this.listAll(path, q);
              into.clear();
              for (const item of again.items as Obj[]) this.apply("ADDED", item, into);
              rv = again.metadata.resourceVersion;
              break;
            } catch {
              // not back yet
            }
          }
        }
      }
    };
    void loop();
  }

  /** Lists every page of `path` (pages of 500); the answer holds all items and the last page's resourceVersion. */
  private async listAll(path: string, q: string): Promise<Obj> {
    const items: Obj[] = [];
    let cont = "";
    for (;;) {
      const page = (await this.http.send<Obj>("GET", `${path}${q}limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`))!;
      items.push(...(page.items as Obj[]));
      cont = page.metadata?.continue ?? "";
      if (!cont) return { ...page, items };
    }
  }

  private apply(type: string, obj: Obj, into: Map<string, Obj>): void {
    const name: string = obj.metadata.name;
    if (type === "DELETED") into.delete(name);
    else into.set(name, obj);
    const parent = into === this.parents ? name : into === this.services ? name : name.replace(/-[ab]$/, "");
    this.check(parent);
    for (const listener of this.parentListeners) listener(parent);
    if (into === this.parents && type === "DELETED" && this.phaseMode === "gone") this.mark();
    this.onChange?.();
  }

  private check(name: string): void {
    const ok = this.isConverged(name);
    if (ok && !this.converged.has(name)) {
      this.converged.add(name);
      this.mark();
    } else if (!ok) this.converged.delete(name);
  }

  private mark(): void {
    if (this.phaseStart === 0 || (this.phaseMode === "converge" && this.timeline.at(-1)?.[1] === this.converged.size)) return;
    const value = this.phaseMode === "converge" ? this.converged.size : this.phaseTotal - this.parents.size;
    this.timeline.push([Math.round(performance.now() - this.phaseStart), value]);
  }

  private isConverged(name: string): boolean {
    const want = this.expected.get(name);
    const p = this.parents.get(name);
    if (!want || !p) return false;
    const gen = p.metadata.generation;
    if (gen < want.generation || p.status?.observedGeneration !== gen || p.status?.childCount !== 3) return false;
    // Some finalizer must be there (FINALIZER for the Go and raw peers; a framework may name its own).
    if (!(p.metadata.finalizers?.length > 0) && !p.metadata.deletionTimestamp) return false;
    const uid = p.metadata.uid;
    const a = this.configMaps.get(`${name}-a`);
    const b = this.configMaps.get(`${name}-b`);
    const s = this.services.get(name);
    return (
      a?.data?.payload === want.payload &&
      b?.data?.["payload-upper"] === want.payload.toUpperCase() &&
      s?.metadata?.annotations?.[PAYLOAD_ANNOTATION] === want.payload &&
      [a, b, s].every(
        (c) => c.metadata.labels?.[TRACKING_LABEL] === uid && c.metadata.ownerReferences?.some((o: Obj) => o.uid === uid && o.controller),
      )
    );
  }
}
