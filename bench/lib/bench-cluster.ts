/**
 * The cluster every benchmark path runs on (W1-W4, W1b, W5 and scale): a local control plane with
 * the controller manager (the children's garbage collection is part of what is measured), a
 * service range wide enough for the scale run, the BenchParent CRD installed and answering, the
 * harness's HTTP client, and the folder for the peers' logs. One start, so the paths cannot drift.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LocalControlPlane } from "../../src/testing/control-plane/local-control-plane.js";
import { apiServerProfileDir, PROFILING_FLAG, startApiServerProfiler } from "./apiserver-profile.js";
import { installCrd } from "./install-crd.js";
import { KubeHttp } from "./kube-http.js";

/** A started benchmark cluster; `stop()` closes the harness's client and stops the control plane. */
export interface BenchCluster {
  cp: LocalControlPlane;
  http: KubeHttp;
  /** bench/results/tmp: one log file per peer run. */
  logDir: string;
  stop(): Promise<void>;
}

/** Starts the control plane and installs the CRD (stopping the plane again if that fails). */
export async function startBenchCluster(root: string, log: (line: string) => void): Promise<BenchCluster> {
  log("starting the local control plane ...");
  const profileDir = apiServerProfileDir();
  const cp = await LocalControlPlane.start({
    serviceClusterIpRange: "10.0.0.0/16",
    onPhase: (phase, ms) => log(`  control plane: ${phase} after ${ms} ms`),
    ...(profileDir ? { extraApiServerFlags: [PROFILING_FLAG] } : {}),
  });
  const endpoint = { server: cp.server, token: cp.adminToken, ca: cp.caCert };
  const http = new KubeHttp(endpoint);
  // BENCH_APISERVER_PROF_DIR: back-to-back CPU profiles of kube-apiserver (lib/apiserver-profile.ts).
  const profiler = profileDir ? startApiServerProfiler(endpoint, profileDir, log) : undefined;
  const stop = async () => {
    await profiler?.stop();
    await http.close();
    await cp.stop();
  };
  const logDir = join(root, "bench", "results", "tmp");
  try {
    mkdirSync(logDir, { recursive: true });
    await installCrd(cp, http);
  } catch (err) {
    await stop();
    throw err;
  }
  log(`CRD installed; peer logs in ${logDir}`);
  return { cp, http, logDir, stop };
}
