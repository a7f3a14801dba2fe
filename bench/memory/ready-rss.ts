/**
 * RSS of an operator process when ready (caches listed, namespace empty), the figure issue 15
 * compares with controller-runtime's (~32 MB). One local control plane; each peer runs alone in
 * its own namespace, is read `SETTLE_MS` after it printed READY (/proc VmRSS), then stopped;
 * `readyMs` is its start-up (spawn to READY: imports, kubeconfig, discovery, caches listed).
 *
 *   node dist/bench/memory/ready-rss.js [--reps 2] [--root <a build of tsoperator>] [--no-go]
 *
 * `--root` runs the tsoperator peers of another build (e.g. the commit before a change, built in a
 * directory of its own: its dist/bench/operators/tsoperator-bench.js resolves "tsoperator" to its
 * own package); the plain peer is copied there when that build lacks it. Prints one JSON line
 * per sample and the load average.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeClient, type ResourceType } from "../../src/kube/index.js";
import { Discovery } from "../../src/kube/discovery.js";
import { LocalControlPlane } from "../../src/testing/index.js";
import { applyManifests, readManifests } from "../../src/testing/manifests.js";
import { readProcUsage } from "../lib/peer-process.js";
import { allPeers, NODE_PEER_FLAGS, repoRoot } from "../lib/peers.js";

const here = dirname(fileURLToPath(import.meta.url));
const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const reps = Number(option("reps") ?? 2);
const root = option("root") ?? repoRoot();
const SETTLE_MS = 3_000;
const namespaces: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

interface Peer {
  name: string;
  command: string;
  args: string[];
}

function nodePeer(name: string, script: string): Peer {
  return { name, command: process.execPath, args: [...NODE_PEER_FLAGS, script] };
}

const plainScript = join(root, "dist", "bench", "memory", "plain-operator.js");
if (!existsSync(plainScript)) {
  mkdirSync(dirname(plainScript), { recursive: true });
  copyFileSync(join(here, "plain-operator.js"), plainScript);
}
const peers: Peer[] = [
  nodePeer("tsoperator bench peer (bench/operators/tsoperator-bench.ts)", join(root, "dist", "bench", "operators", "tsoperator-bench.js")),
  nodePeer("tsoperator, no client-node import (K8sTypes children)", plainScript),
];
if (!process.argv.includes("--no-go")) {
  const cr = allPeers(16).find((p) => p.name === "controller-runtime")!;
  const cmd = await cr.prepare((line) => console.error(line));
  peers.push({ name: "controller-runtime", command: cmd.command, args: cmd.args });
}

/** Starts `peer`, waits for READY (its start-up: spawn to READY) and the settle time, reads its RSS, stops it. */
async function readyRss(peer: Peer, kubeconfigPath: string, namespace: string): Promise<{ rss: number; readyMs: number }> {
  const started = performance.now();
  const child = spawn(peer.command, [...peer.args, "--namespace", namespace], {
    env: { ...process.env, KUBECONFIG: kubeconfigPath, BENCH_NAMESPACE: namespace },
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.split("\n").includes("READY")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`${peer.name} exited ${code} before READY`)));
      setTimeout(() => reject(new Error(`${peer.name}: no READY within 60 s`)), 60_000).unref();
    });
    const readyMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { rss: (await readProcUsage(child.pid!)).rssBytes, readyMs };
  } finally {
    child.stdin!.end();
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
  }
}

const cp = await LocalControlPlane.start({ controllerManager: false });
const client = KubeClient.fromKubeConfig(cp.kubeConfig);
try {
  await applyManifests(client, new Discovery(client), await readManifests(join(repoRoot(), "bench", "crd.yaml")));
  await new Promise((r) => setTimeout(r, 2_500)); // a new CRD's resources answer 404 for ~2 s
  let n = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (const peer of rep % 2 === 0 ? peers : [...peers].reverse()) {
      const ns = `ready-${n++}`;
      await client.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
      const { rss, readyMs } = await readyRss(peer, cp.kubeconfigPath, ns);
      const load1 = +loadavg()[0]!.toFixed(1);
      console.log(JSON.stringify({ peer: peer.name, rep, rssReadyMb: +(rss / 1e6).toFixed(1), readyMs: Math.round(readyMs), load1, root }));
    }
  }
} finally {
  await client.close();
  await cp.stop();
}
