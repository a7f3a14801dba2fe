/**
 * The main job: `npm install && npm run demo`.
 *
 * Starts a local control plane (real kube-apiserver + etcd + garbage collector, built from Go
 * modules on first use), installs the EchoServer CRD, runs the sample operator, creates an
 * EchoServer, waits until its Pod and Service exist and its status reflects them, prints them and
 * a kubectl line, then keeps running until Ctrl-C. `npm run demo -- --once` exits after convergence.
 */
import "reflect-metadata";
import { fileURLToPath } from "node:url";
import { LocalControlPlane, TestKit } from "tsoperator/testing";
import { EchoServerOperator } from "./echo-server/echo-server.js";

const once = process.argv.includes("--once");
const crd = fileURLToPath(new URL("../../samples/echo-server/crd.yaml", import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);

const started = performance.now();
say("▶ starting a local control plane (etcd, kube-apiserver, kube-controller-manager)…");
const controlPlane = await LocalControlPlane.start();
say(`  ready in ${((performance.now() - started) / 1000).toFixed(1)} s at ${controlPlane.server}`);

let kit: TestKit | undefined;
const shutdown = async (code: number) => {
  await kit?.close().catch(() => undefined);
  await controlPlane.stop();
  process.exit(code);
};
process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));

try {
  say("▶ installing the EchoServer CRD and starting the echo-server operator…");
  kit = await TestKit.start({ controlPlane, manifests: [crd], operators: [EchoServerOperator], namespace: "demo" });

  say('▶ creating EchoServer demo/hello (message: "hello from tsoperator")…');
  await kit.createParent({
    apiVersion: "samples.tsoperator.dev/v1",
    kind: "EchoServer",
    metadata: { name: "hello" },
    spec: { message: "hello from tsoperator", port: 8080 },
  });

  const pod = await kit.eventuallyExists("v1", "Pod", "hello");
  const service = await kit.eventuallyExists("v1", "Service", "hello");
  const echo = await kit.eventuallyMatches("samples.tsoperator.dev/v1", "EchoServer", "hello", {
    status: { serviceName: "hello", podPhase: "Pending", observedGeneration: 1 },
  });
  const converged = ((performance.now() - started) / 1000).toFixed(1);

  say(`\n✔ reconciled in ${converged} s since start`);
  say(
    `  Pod      ${pod.metadata?.namespace}/${pod.metadata?.name}  image=${(pod.spec as any).containers[0].image} args=${JSON.stringify((pod.spec as any).containers[0].args)}`,
  );
  say(
    `  Service  ${service.metadata?.namespace}/${service.metadata?.name}  ports=${JSON.stringify((service.spec as any).ports.map((p: any) => `${p.port}->${p.targetPort}`))}`,
  );
  say(`  owner    ${JSON.stringify(pod.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name} controller=${r.controller}`))}`);
  say(`  status   ${JSON.stringify(echo.status)}`);
  say("  (no kubelet runs here, so the Pod stays Pending: the status reports exactly that)");

  if (once) {
    await shutdown(0);
  } else {
    say(`\nLook for yourself:\n  KUBECONFIG=${controlPlane.kubeconfigPath} kubectl get echoservers,pods,services -n demo`);
    say("Press Ctrl-C to stop (the control plane and everything it started go away).");
  }
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await shutdown(1);
}
