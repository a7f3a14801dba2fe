/**
 * The probe and metrics HTTP server of an operator process (plain node:http, no framework):
 *
 * - `GET /metrics`  Prometheus text of the runtime's registry;
 * - `GET /healthz`  liveness: 200 unless a liveness check fails (a blocked event loop, a loop that
 *                   died), i.e. only when restarting the process is the cure; `/livez` is the same;
 *                   `?verbose` answers JSON with each check's detail; `/health` (roperator's
 *                   path) is the same too;
 * - `GET /readyz`   200 only when every readiness check passes (informers synced, watches
 *                   healthy), else 503; `?verbose` answers JSON with each check's detail.
 *
 * @example
 * ```ts
 * const server = new HealthServer({ metrics });
 * server.addReadinessCheck("informers", () => ({ ok: informers.every((i) => i.synced) }));
 * const port = await server.start(8080);
 * // ... on shutdown
 * await server.stop();
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./logger.js";

/** The outcome of one readiness check. */
export interface CheckResult {
  ok: boolean;
  /** Why it is not ok (or a short state when it is), shown by `/readyz?verbose`. */
  detail?: string;
}

/** A readiness check: cheap, called on every probe; may be async; a throw counts as failure. */
export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

/** Anything that renders Prometheus text: a `Metrics` instance, or a prom-client `Registry`. */
export interface MetricsSource {
  metrics?(): Promise<string>;
  render?(): Promise<string>;
  readonly contentType: string;
}

/** Options of {@link HealthServer}. */
export interface HealthServerOptions {
  /** Served on `/metrics`; without it `/metrics` answers 404. */
  metrics?: MetricsSource;
  logger?: Logger;
}

/** The JSON body of `/readyz?verbose`. */
export interface ReadinessReport {
  status: "ok" | "failed";
  checks: Array<{ name: string } & CheckResult>;
}

/** The probe + metrics server; one per operator process. */
export class HealthServer {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly livenessChecks = new Map<string, ReadinessCheck>();
  private server?: Server;

  constructor(private readonly options: HealthServerOptions = {}) {}

  /** Registers (or replaces) a named readiness check. */
  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Removes a readiness check (e.g. a controller that stopped). */
  removeReadinessCheck(name: string): void {
    this.checks.delete(name);
  }

  /**
   * Registers (or replaces) a named liveness check: red only when the process should be restarted
   * (a kubelet restarts the container after its liveness probe fails `failureThreshold` times).
   */
  addLivenessCheck(name: string, check: ReadinessCheck): void {
    this.livenessChecks.set(name, check);
  }

  /** Runs every liveness check now. Live when all pass (and vacuously when there are none). */
  liveness(): Promise<ReadinessReport> {
    return runChecks(this.livenessChecks);
  }

  /** Runs every check now. Ready when all pass (and vacuously when there are none). */
  readiness(): Promise<ReadinessReport> {
    return runChecks(this.checks);
  }

  /**
   * Starts listening; resolves with the bound port (useful with port 0).
   * Default host: all interfaces, as a kubelet probe and Prometheus reach the pod IP.
   */
  async start(port: number, host?: string): Promise<number> {
    if (this.server) throw new Error("HealthServer is already started; call stop() first");
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.options.logger?.warn("health server request failed", { err, path: req.url });
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      });
    });
    // Probes are short; don't let a half-open client hold the server up at shutdown.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    this.options.logger?.info("probe and metrics server listening", { host: host ?? "0.0.0.0", port: bound });
    return bound;
  }

  /** Stops listening and closes idle and open connections. Safe to call when not started. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n", { allow: "GET, HEAD" });
    }
    switch (url.pathname) {
      case "/healthz":
      case "/health":
      case "/livez":
      case "/readyz": {
        const report = url.pathname === "/readyz" ? await this.readiness() : await this.liveness();
        const code = report.status === "ok" ? 200 : 503;
        if (url.searchParams.has("verbose")) {
          return send(res, code, "application/json", `${JSON.stringify(report)}\n`);
        }
        const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
        return send(res, code, "text/plain; charset=utf-8", code === 200 ? "ok\n" : `failed: ${failed.join(", ")}\n`);
      }
      case "/metrics": {
        const source = this.options.metrics;
        if (!source) return send(res, 404, "text/plain; charset=utf-8", "no metrics registry\n");
        const text = await (source.render ? source.render() : source.metrics!());
        return send(res, 200, source.contentType, text);
      }
      default:
        return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    }
  }
}

function send(res: ServerResponse, code: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { "content-type": contentType, "cache-control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

async function runChecks(checks: Map<string, ReadinessCheck>): Promise<ReadinessReport> {
  const results = await Promise.all(
    [...checks].map(async ([name, check]) => {
      try {
        const result = await check();
        return { name, ok: result.ok === true, ...(result.detail !== undefined ? { detail: result.detail } : {}) };
      } catch (err) {
        return { name, ok: false, detail: `check threw: ${err instanceof Error ? err.message : String(err)}` };
      }
    }),
  );
  return { status: results.every((c) => c.ok) ? "ok" : "failed", checks: results };
}
