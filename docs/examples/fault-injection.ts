// docs/examples/fault-injection.ts — break the API server and the network on purpose.
import "reflect-metadata";
import { FaultProxy, LocalControlPlane, TestKit } from "tsoperator/testing";
import { WebsiteOperator } from "./getting-started.js";
import { websiteCrd } from "./testing.js";

export async function faultInjection(): Promise<void> {
  const cp = await LocalControlPlane.start({ audit: true, users: [{ name: "operator" }] });
  const kit = await TestKit.start({ controlPlane: cp, operators: [WebsiteOperator], manifests: [websiteCrd], operatorUser: "operator" });

  // The API server crashes and comes back after 5 s on the same port, certificate and etcd data.
  const { readyAt } = await cp.restartApiServer({ signal: "SIGKILL", downMs: 5_000 });

  // Who wrote what since, from the API server's audit log (writes only).
  const writes = await cp.auditWrites(readyAt);
  const byOperator = writes.filter((w) => w.user === "operator" && w.namespace === kit.namespace);
  console.log(`${byOperator.length} writes by the operator since /readyz`);

  // A proxy in front of the API server, for a client whose kubeconfig points at it.
  const proxy = await FaultProxy.start(cp.server);
  const viaProxy = cp.kubeConfigFor({ user: "operator", server: proxy.url });
  console.log(`a KubeConfig for ${viaProxy.getCurrentCluster()?.server}`);
  proxy.stall(); // open connections go silent: watches hang without an error
  proxy.resume(); // ... and deliver what was held back
  proxy.reset(); // or cut them with a TCP RST

  await proxy.close();
  await kit.close();
  await cp.stop();
}
