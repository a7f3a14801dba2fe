/**
 * The webhook server as a `Runnable` of the manager: in the servers group (up before the caches,
 * stopped after everything else), run by every replica (the API server calls any pod behind the
 * Service, not only the leader), ready while listening with a valid certificate.
 */
import { aborted, type Runnable } from "../manager/runnable.js";
import type { WebhookServer } from "./webhook-server.js";

/** A started `WebhookServer` as a runnable: stops it when the manager stops. */
export function webhookServerRunnable(server: WebhookServer): Runnable {
  return {
    name: "webhook-server",
    group: "servers",
    needsLeaderElection: false,
    async start(signal) {
      await aborted(signal);
      await server.stop();
    },
    readiness: () => server.readiness(),
  };
}
