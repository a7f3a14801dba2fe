// docs/examples/seat-limit.ts — put an operator under a real 429 storm (API Priority and Fairness).
import "reflect-metadata";
import { LocalControlPlane, limitUserSeats, TestKit } from "tsoperator/testing";
import { WebsiteOperator } from "./getting-started.js";
import { websiteCrd } from "./testing.js";

export async function seatLimit(): Promise<void> {
  // A user outside system:masters (which APF exempts), so its requests are limited.
  const cp = await LocalControlPlane.start({ users: [{ name: "operator", groups: [] }] });
  // One seat; what exceeds one request at a time gets 429. The binding gives the user its permissions.
  const limit = await limitUserSeats(cp, "operator", 1, { clusterRole: "cluster-admin" });
  const kit = await TestKit.start({ controlPlane: cp, operators: [WebsiteOperator], manifests: [websiteCrd], operatorUser: "operator" });

  await kit.createParent({ apiVersion: "example.com/v1", kind: "Website", metadata: { name: "home" }, spec: { title: "Hi" } });
  await kit.eventuallyExists("v1", "ConfigMap", "home-page");
  const { rejected } = await limit.levelSeats(); // the apiserver's own count of refused requests
  console.log(`${rejected} requests refused with 429 on the way`);

  await limit.lift(); // back to the "global-default" level (the binding stays)
  await kit.close();
  await cp.stop();
}
