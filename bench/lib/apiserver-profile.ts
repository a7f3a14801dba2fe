/**
 * CPU profiles of kube-apiserver during a benchmark, for the runs whose bound is the API server
 * (W1b and scale on 2 saturated cores, W5 capacity): where its CPU goes (server-side apply,
 * serialization, watch fan-out, etcd, admission) is what says whether an operator can still cut
 * the server's work or only wait on it.
 *
 * With `BENCH_APISERVER_PROF_DIR=<dir>` the bench cluster starts kube-apiserver with `--profiling`
 * (off otherwise: the tests' and the normal benchmarks' server is unchanged) and this sampler takes
 * back-to-back Go pprof CPU profiles (`/debug/pprof/profile`, 10 s each) until the cluster stops,
 * each in `<dir>/apiserver-<port>-<ISO start>.pb.gz` (the port tells the control planes of one run
 * apart: W1b and scale start one per run), so a window of any workload can be picked by the log's
 * timestamps. A plane's last profile, cut short when it stops, is discarded. Summarize with `go tool pprof -top <files>` or, by package,
 * `node dist/bench/profile/pprof-packages.js <files>`.
 *
 * The sampler uses an HTTP pool of its own so the harness's request counts and connections are
 * untouched. Sampling (SIGPROF at 100 Hz) is cheap but not free on a saturated machine: the
 * results record that it was on (`apiServerProfiling`), and figures meant for the targets are taken
 * without it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";

/** Where the profiles go when profiling is on (`BENCH_APISERVER_PROF_DIR`), or undefined. */
export function apiServerProfileDir(): string | undefined {
  return process.env.BENCH_APISERVER_PROF_DIR || undefined;
}

/** The extra kube-apiserver flag that serves /debug/pprof (the control plane turns it off). */
export const PROFILING_FLAG = "--profiling=true";

/** A running sampler; `stop()` ends it after the profile in flight (which is discarded). */
export interface ApiServerProfiler {
  stop(): Promise<void>;
}

/** Starts taking back-to-back CPU profiles of the API server at `server` into `dir`. */
export function startApiServerProfiler(
  endpoint: { server: string; token: string; ca: string },
  dir: string,
  log: (line: string) => void,
  seconds = 10,
): ApiServerProfiler {
  mkdirSync(dir, { recursive: true });
  const agent = new Agent({ connect: { ca: endpoint.ca }, connections: 1 });
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      const started = new Date().toISOString();
      try {
        const res = await request(`${endpoint.server}/debug/pprof/profile?seconds=${seconds}`, {
          dispatcher: agent,
          signal: abort.signal,
          headers: { authorization: `Bearer ${endpoint.token}` },
          bodyTimeout: (seconds + 30) * 1000,
          headersTimeout: (seconds + 30) * 1000,
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        if (res.statusCode !== 200) {
          log(`apiserver profile: HTTP ${res.statusCode} ${body.toString().slice(0, 200)}; sampler stopped`);
          return;
        }
        const file = join(dir, `apiserver-${new URL(endpoint.server).port}-${started.replace(/[:.]/g, "-")}.pb.gz`);
        writeFileSync(file, body);
      } catch (err) {
        if (!abort.signal.aborted) log(`apiserver profile: ${(err as Error).message}; sampler stopped`);
        return;
      }
    }
  })();
  return {
    async stop() {
      abort.abort();
      await loop;
      await agent.close();
    },
  };
}
