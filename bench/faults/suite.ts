/**
 * The fault suite's surroundings, for `npm run faults` and for the short cases in `npm test`: a
 * local control plane with the audit log on and the operator's users, the BenchParent CRD, a
 * FaultProxy in front of the API server, and the tsoperator benchmark operator (a child process,
 * compiled under dist/bench).
 */
import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FaultProxy, LocalControlPlane } from "../../src/testing/index.js";
import { KubeHttp } from "../lib/kube-http.js";
import { allPeers, repoRoot } from "../lib/peers.js";
import { OPERATOR_USER, REPLICA_USERS, type SuiteContext } from "./harness.js";
import { installCrd } from "../lib/install-crd.js";

/** A started suite: what the cases get, and how to stop it all. */
export interface Suite {
  ctx: SuiteContext;
  cp: LocalControlPlane;
  proxy: FaultProxy;
  stop(): Promise<void>;
}

/** Options of {@link startSuite}. */
export interface SuiteOptions {
  parents: number;
  log: (line: string) => void;
  /** Where the operators' logs go (default bench/results/tmp). */
  logDir?: string;
}

/** Starts everything the cases need; see the module comment. */
export async function startSuite(options: SuiteOptions): Promise<Suite> {
  const { log } = options;
  const root = repoRoot();
  const operator = await allPeers(16)
    .find((p) => p.name === "tsoperator")!
    .prepare(log);
  log("starting the local control plane (audit log on) ...");
  // The operator's users are not in system:masters (as no deployed operator is): that group falls
  // under the "exempt" FlowSchema, which API priority and fairness never limits (the apf cases).
  // They get cluster-admin through RBAC instead.
  const users = [OPERATOR_USER, ...REPLICA_USERS];
  const cp = await LocalControlPlane.start({ audit: { mode: "blocking" }, users: users.map((name) => ({ name, groups: [] })) });
  const http = new KubeHttp({ server: cp.server, token: cp.adminToken, ca: cp.caCert });
  let proxy: FaultProxy | undefined;
  const stop = async () => {
    await proxy?.close();
    await http.close();
    await cp.stop();
  };
  try {
    for (const user of users) {
      await http.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        body: {
          metadata: { name: `faults-${user}` },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
        },
      });
    }
    proxy = await FaultProxy.start(cp.server);
    const logDir = options.logDir ?? join(root, "bench", "results", "tmp");
    mkdirSync(logDir, { recursive: true });
    const kubeconfigFile = (user: string, server?: string) => {
      const path = join(cp.tempDir, `${user}${server ? "-via-proxy" : ""}.kubeconfig`);
      writeFileSync(path, cp.kubeconfigText({ user, ...(server ? { server } : {}) }), { mode: 0o600 });
      return path;
    };
    const kubeconfigOf = Object.fromEntries(REPLICA_USERS.map((user) => [user, kubeconfigFile(user)]));
    await installCrd(cp, http);
    // The garbage collector discovers the new kind only every 30 s: restart it so it owns children now.
    await cp.restartControllerManager();
    const ctx: SuiteContext = {
      cp,
      http,
      // The operator logs to stderr, into its log file (stdout carries the peer protocol).
      operator: { ...operator, env: { ...operator.env, BENCH_LOG_STDERR: "1" } },
      kubeconfigDirect: kubeconfigFile(OPERATOR_USER),
      kubeconfigViaProxy: kubeconfigFile(OPERATOR_USER, proxy.url),
      kubeconfigOf,
      parents: options.parents,
      logDir,
      log,
    };
    return { ctx, cp, proxy, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
