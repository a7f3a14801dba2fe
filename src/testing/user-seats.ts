/**
 * {@link limitUserSeats}: gives one user exactly N seats of the API server through API Priority and
 * Fairness (a FlowSchema for the user, a PriorityLevelConfiguration with `limitResponse: Reject`,
 * no lending nor borrowing), so a test can put an operator under a real 429 storm. It owns the
 * objects it creates (named after the user) and guarantees the seats before it returns: it reads
 * them back from the apiserver's `apiserver_flowcontrol_nominal_limit_seats` and
 * `apiserver_flowcontrol_current_limit_seats`, or throws. The arithmetic is in apf-seats.ts.
 *
 * The server's concurrency limit is measured, not assumed (a control plane may run with smaller
 * `--max-requests-inflight`): a probe level is first created with a share count so large that its
 * nominal seats are the whole limit. For that moment the other levels' nominal seats drop to 1 (they
 * may borrow the probe's); requests of `system:masters` (the admin of a local control plane) are
 * exempt throughout. The limit is in force once every limited level reports the seats the new
 * shares give it.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { isAlreadyExists, KubeClient, type KubeObject, type ResourceType } from "../kube/index.js";
import { apfShares, type ApfShares, type LevelSeats, nominalSeats, parseLevelSeats } from "./apf-seats.js";
import type { LocalControlPlane } from "./control-plane/local-control-plane.js";
import { eventually } from "./eventually.js";

export type { LevelSeats } from "./apf-seats.js";

const FLOW = { group: "flowcontrol.apiserver.k8s.io", version: "v1", apiVersion: "flowcontrol.apiserver.k8s.io/v1", namespaced: false };
const flowSchemas: ResourceType = { ...FLOW, kind: "FlowSchema", plural: "flowschemas" };
const priorityLevels: ResourceType = { ...FLOW, kind: "PriorityLevelConfiguration", plural: "prioritylevelconfigurations" };
const clusterRoleBindings: ResourceType = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  plural: "clusterrolebindings",
  namespaced: false,
};
/** The level that only adds shares (see apf-seats.ts); one at a time, hence one name. */
const BALLAST = "tsoperator-seats-ballast";
/** Shares of the probe level: its nominal seats are then the server's whole limit (see measureServerSeats). */
const PROBE_SHARES = 1_000_000_000;

/** Options of {@link limitUserSeats}. */
export interface LimitUserSeatsOptions {
  /**
   * Also bind the user to this ClusterRole (e.g. "cluster-admin"): a user of `LocalControlPlane`'s
   * `users` with `groups: []` (outside `system:masters`, which APF exempts) has no permissions
   * otherwise. The binding outlives {@link UserSeatLimit.lift}: the user keeps working, unthrottled.
   */
  clusterRole?: string;
  /** Name of the FlowSchema and the priority level. Default `tsoperator-seats-<user>`. */
  name?: string;
  /** How long the apiserver may take to report the seats. Default 30 s. */
  timeoutMs?: number;
}

/** A seat limit in force, from {@link limitUserSeats}. */
export interface UserSeatLimit {
  /** The limited user. */
  readonly user: string;
  /** The seats the user has, as the apiserver reported them (nominal and current). */
  readonly seats: number;
  /** Name of the FlowSchema and the PriorityLevelConfiguration. */
  readonly priorityLevel: string;
  /** The server's concurrency limit (`--max-requests-inflight + --max-mutating-requests-inflight`), measured. */
  readonly serverSeats: number;
  /** Shares of the user's level and of the ballast, and the sum over every other level. */
  readonly shares: ApfShares & { others: number };
  /** The apiserver's figures for the level now (seats, and the requests it rejected so far). */
  levelSeats(): Promise<LevelSeats>;
  /**
   * Deletes the FlowSchema and the priority levels (the user falls back to "global-default", tens of
   * seats); a ClusterRoleBinding from `clusterRole` stays. Idempotent.
   */
  lift(): Promise<void>;
}

/**
 * Gives `user` exactly `seats` concurrent requests of the API server (API Priority and Fairness,
 * excess rejected with 429), and resolves once the apiserver reports that many seats for the user's
 * priority level. One limit at a time per control plane (they share the ballast level).
 *
 * ```ts
 * const cp = await LocalControlPlane.start({ users: [{ name: "operator", groups: [] }] });
 * const limit = await limitUserSeats(cp, "operator", 1, { clusterRole: "cluster-admin" });
 * // ... run the operator as "operator": what exceeds one request at a time gets 429
 * console.log((await limit.levelSeats()).rejected);
 * await limit.lift();
 * ```
 */
export async function limitUserSeats(
  target: LocalControlPlane | KubeConfig,
  user: string,
  seats: number,
  options: LimitUserSeatsOptions = {},
): Promise<UserSeatLimit> {
  const kubeConfig = "adminToken" in target ? target.kubeConfig : target;
  const name = options.name ?? `tsoperator-seats-${user.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")}`.slice(0, 253);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const withClient = async <T>(fn: (client: KubeClient) => Promise<T>): Promise<T> => {
    const client = KubeClient.fromKubeConfig(kubeConfig);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };
  const removeLevels = (client: KubeClient) => removeLimit(client, name);

  return withClient(async (client) => {
    if (options.clusterRole) {
      try {
        await client.create(clusterRoleBindings, {
          metadata: { name },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: options.clusterRole },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    await removeLevels(client); // what a run that died left behind
    try {
      const others = (await client.list(priorityLevels)).items.filter((l) => l.metadata?.name !== name && l.metadata?.name !== BALLAST);
      const otherShares = others.reduce((sum, l) => sum + levelShares(l), 0);
      const serverSeats = await measureServerSeats(client, timeoutMs);
      const shares = apfShares(serverSeats, otherShares, seats);
      if (shares.ballast > 0) await client.create(priorityLevels, limitedLevel(BALLAST, shares.ballast, 100));
      await client.create(priorityLevels, limitedLevel(name, shares.ours, 0));
      await client.create(flowSchemas, flowSchemaFor(name, user));
      // Every limited level's seats as the new shares give them: the config is in force once all agree.
      const all = otherShares + shares.ours + shares.ballast;
      const expected = new Map<string, number>(
        others.filter((l) => isLimited(l)).map((l) => [l.metadata!.name!, nominalSeats(serverSeats, levelShares(l), all)]),
      );
      if (shares.ballast > 0) expected.set(BALLAST, nominalSeats(serverSeats, shares.ballast, all));
      await until(timeoutMs, `${seats} seats for ${user} (priority level ${name})`, async () => {
        const text = await metricsText(client);
        const ours = parseLevelSeats(text, name);
        const agreed = [...expected].every(([level, nominal]) => parseLevelSeats(text, level).nominal === nominal);
        return ours.nominal === seats && ours.current === seats && agreed ? true : undefined;
      });
      return {
        user,
        seats,
        priorityLevel: name,
        serverSeats,
        shares: { ...shares, others: otherShares },
        levelSeats: () => withClient(async (c) => parseLevelSeats(await metricsText(c), name)),
        lift: () => withClient(removeLevels),
      };
    } catch (err) {
      await removeLevels(client);
      throw err;
    }
  });
}

/**
 * The server's concurrency limit: the nominal seats of a level holding nearly every share. The level
 * has a name of its own each time: a deleted level's seats may linger in `/metrics`.
 */
async function measureServerSeats(client: KubeClient, timeoutMs: number): Promise<number> {
  const probe = `tsoperator-seats-probe-${Date.now().toString(36)}`;
  await client.create(priorityLevels, limitedLevel(probe, PROBE_SHARES, 100));
  try {
    return await until(timeoutMs, `the seats of level ${probe}`, async () => parseLevelSeats(await metricsText(client), probe).nominal);
  } finally {
    await client.delete(priorityLevels, undefined, probe);
  }
}

async function metricsText(client: KubeClient): Promise<string> {
  return String(await client.request("GET", "/metrics"));
}

/** Deletes the FlowSchema, the level and the ballast (those that exist). */
async function removeLimit(client: KubeClient, name: string): Promise<void> {
  await client.delete(flowSchemas, undefined, name);
  await client.delete(priorityLevels, undefined, name);
  await client.delete(priorityLevels, undefined, BALLAST);
}

/** Polls `check` every 250 ms (`eventually`) until it answers a value; throws after `timeoutMs`. */
function until<T>(timeoutMs: number, what: string, check: () => Promise<T | undefined>): Promise<T> {
  return eventually(
    async () => {
      const value = await check();
      if (value === undefined) throw new Error(`limitUserSeats: the apiserver never reported ${what} within ${timeoutMs} ms`);
      return value;
    },
    { timeout: timeoutMs, interval: 250 },
  );
}

function isLimited(level: KubeObject): boolean {
  return (level.spec as { limited?: unknown } | undefined)?.limited !== undefined;
}

function levelShares(level: KubeObject): number {
  const spec = level.spec as { limited?: { nominalConcurrencyShares?: number }; exempt?: { nominalConcurrencyShares?: number } };
  return Number(spec?.limited?.nominalConcurrencyShares ?? spec?.exempt?.nominalConcurrencyShares ?? 0);
}

function limitedLevel(name: string, shares: number, lendablePercent: number): KubeObject {
  return {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1",
    kind: "PriorityLevelConfiguration",
    metadata: { name },
    spec: {
      type: "Limited",
      limited: { nominalConcurrencyShares: shares, lendablePercent, borrowingLimitPercent: 0, limitResponse: { type: "Reject" } },
    },
  };
}

/** The FlowSchema sending every request of `user` (resource and non-resource) to level `name`. */
function flowSchemaFor(name: string, user: string): KubeObject {
  return {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1",
    kind: "FlowSchema",
    metadata: { name },
    spec: {
      priorityLevelConfiguration: { name },
      // Ahead of "global-default" (9900), where the user would fall otherwise; behind "exempt" (1) and "probes" (2),
      // so /readyz and /healthz of the user stay exempt as on any cluster.
      matchingPrecedence: 500,
      distinguisherMethod: { type: "ByUser" },
      rules: [
        {
          subjects: [{ kind: "User", user: { name: user } }],
          resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"], namespaces: ["*"], clusterScope: true }],
          nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
        },
      ],
    },
  };
}
