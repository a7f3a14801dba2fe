/**
 * One local control plane per suite: `withControlPlane()` registers the `before` that starts it
 * (and an admin client on it) and the `after` that closes both, and answers an accessor, so a test
 * file does not write the same hooks again. Call it in a `describe` body (or at a file's top
 * level); read `plane.cp` / `plane.client` only inside tests and later hooks. What the suite
 * needs on the plane before its tests (a namespace, a CRD) goes in `setUp`, which runs in the same
 * hook: a second top-level `before` would not wait for the first (node:test runs a hook added to
 * the running root test at once). Likewise `tearDown` runs first in the `after` hook (node:test runs
 * `after` hooks in the order they were added, so a later one would find the plane stopped).
 */
import { after, before } from "node:test";
import { KubeClient, type KubeClientOptions } from "../../../src/kube/index.js";
import { LocalControlPlane, type LocalControlPlaneOptions } from "../../../src/testing/index.js";

/** What {@link withControlPlane} answers: the running plane and an admin client on it. */
export interface ControlPlaneSuite {
  /** The suite's control plane (throws before the suite's `before` ran). */
  readonly cp: LocalControlPlane;
  /** A client with the plane's admin credentials (throws before the suite's `before` ran). */
  readonly client: KubeClient;
}

/** Options of {@link withControlPlane}. */
export interface WithControlPlaneOptions extends LocalControlPlaneOptions {
  /** Options of the admin client (e.g. `onRequest`). */
  client?: KubeClientOptions;
  /** Runs once the plane and client are up, before the suite's tests (in the same `before` hook). */
  setUp?: (plane: ControlPlaneSuite) => Promise<unknown>;
  /** Runs after the suite's tests, before the client is closed and the plane stopped (e.g. stopping an operator). */
  tearDown?: () => Promise<unknown>;
}

/**
 * Starts a control plane before the suite and stops it after, with an admin client closed first.
 * No kube-controller-manager unless `controllerManager: true` is passed: these suites need no
 * garbage collection and start faster without it.
 */
export function withControlPlane(options: WithControlPlaneOptions = {}): ControlPlaneSuite {
  const { client: clientOptions, setUp, tearDown, ...planeOptions } = options;
  let cp: LocalControlPlane | undefined;
  let client: KubeClient | undefined;
  before(async () => {
    cp = await LocalControlPlane.start({ controllerManager: false, ...planeOptions });
    client = KubeClient.fromKubeConfig(cp.kubeConfig, clientOptions);
    await setUp?.(suite);
  });
  after(async () => {
    try {
      await tearDown?.();
    } finally {
      await client?.close();
      await cp?.stop();
    }
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("withControlPlane: the control plane is not started yet (read it inside a test or hook)");
    return value;
  };
  const suite: ControlPlaneSuite = {
    get cp() {
      return started(cp);
    },
    get client() {
      return started(client);
    },
  };
  return suite;
}
