/**
 * API Priority and Fairness for the fault suite: a PriorityLevelConfiguration (type Limited,
 * `limitResponse: Reject`, lendablePercent 0, borrowingLimitPercent 0) and a FlowSchema sending
 * every request of one user to it, sized so that the user gets exactly `seats` seats, and the
 * apiserver's own metrics that say how many it got and how many requests it rejected.
 *
 * Seat arithmetic (apiserver flowcontrol, v1): the server's concurrency limit is
 * `--max-requests-inflight + --max-mutating-requests-inflight` (400 + 200 = 600 by default: the
 * local control plane passes neither), and a level's nominal seats are
 * `ceil(serverLimit * shares / sum of every level's nominalConcurrencyShares)`. With the suggested
 * levels' 245 shares, 1 share gives ceil(600 / 246) = 3 seats: one seat needs the shares of all
 * levels to reach the server limit. So a second level, the ballast (no FlowSchema points at it,
 * lendablePercent 100 so the levels that may borrow lose nothing), tops the sum up to the server
 * limit: then `seats` shares give `ceil(serverLimit * seats / (serverLimit + seats))` = `seats`
 * (for seats * (seats - 1) < serverLimit). With lending and borrowing at 0 the current limit stays
 * the nominal one. The harness (admin, group system:masters) falls under the exempt schema, and the
 * controller manager uses the admin kubeconfig: neither competes for these seats.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeHttp } from "../lib/kube-http.js";

const FLOW = "/apis/flowcontrol.apiserver.k8s.io/v1";
/** The priority level and FlowSchema of the case (one name for both). */
export const APF_LEVEL = "faults-operator";
/** The level that only adds shares (see the module comment). */
export const APF_BALLAST = "faults-ballast";
/** The apiserver's default --max-requests-inflight + --max-mutating-requests-inflight. */
export const DEFAULT_SERVER_SEATS = 400 + 200;

/** Shares of the user's level and of the ballast for exactly `seats` seats. */
export interface ApfShares {
  ours: number;
  ballast: number;
}

/** Pure seat arithmetic: see the module comment. `otherShares` is the sum over the levels that exist. */
export function apfShares(serverSeats: number, otherShares: number, seats: number): ApfShares {
  if (!(seats >= 1 && seats * (seats - 1) < serverSeats)) throw new RangeError(`cannot size ${seats} seats of ${serverSeats}`);
  return { ours: seats, ballast: Math.max(0, serverSeats - otherShares) };
}

/** The nominal seats a level with `shares` gets (the apiserver's formula). */
export function nominalSeats(serverSeats: number, shares: number, allShares: number): number {
  return Math.ceil((serverSeats * shares) / allShares);
}

/** What the apiserver reports for one priority level (its `/metrics`). */
export interface LevelSeats {
  nominal?: number;
  current?: number;
  /** `apiserver_flowcontrol_rejected_requests_total` summed over flow schemas and reasons. */
  rejected: number;
}

/** Reads a level's seats and rejections from Prometheus text. */
export function parseLevelSeats(metrics: string, level: string): LevelSeats {
  const out: LevelSeats = { rejected: 0 };
  const label = `priority_level="${level}"`;
  for (const line of metrics.split("\n")) {
    if (!line.includes(label)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("apiserver_flowcontrol_nominal_limit_seats{")) out.nominal = value;
    else if (line.startsWith("apiserver_flowcontrol_current_limit_seats{")) out.current = value;
    else if (line.startsWith("apiserver_flowcontrol_rejected_requests_total{")) out.rejected += value;
  }
  return out;
}

/** The level's seats now. */
export async function readLevelSeats(http: KubeHttp, level = APF_LEVEL): Promise<LevelSeats> {
  return parseLevelSeats(await http.text("/metrics"), level);
}

function limitedLevel(name: string, shares: number, lendablePercent: number): Record<string, unknown> {
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

/** The FlowSchema sending every request of `user` (resource and non-resource) to {@link APF_LEVEL}. */
export function flowSchemaFor(user: string): Record<string, unknown> {
  return {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1",
    kind: "FlowSchema",
    metadata: { name: APF_LEVEL },
    spec: {
      priorityLevelConfiguration: { name: APF_LEVEL },
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

/** What {@link installApf} set up and verified. */
export interface ApfInstalled extends ApfShares {
  seats: number;
  serverSeats: number;
  /** Sum of the shares of every level besides ours and the ballast. */
  otherShares: number;
  /** As the apiserver reports them once the config took effect. */
  nominalSeats: number;
  currentSeats: number;
}

/**
 * Creates the ballast, the level and the FlowSchema for `user` and waits until the apiserver's
 * metrics report exactly `seats` nominal and current seats for the level (throws otherwise).
 */
export async function installApf(http: KubeHttp, user: string, seats: number, serverSeats = DEFAULT_SERVER_SEATS): Promise<ApfInstalled> {
  await removeApf(http);
  const levels = (await http.send<any>("GET", `${FLOW}/prioritylevelconfigurations`))!.items as any[];
  const otherShares = levels
    .filter((l) => l.metadata.name !== APF_LEVEL && l.metadata.name !== APF_BALLAST)
    .reduce((sum, l) => sum + Number(l.spec.limited?.nominalConcurrencyShares ?? l.spec.exempt?.nominalConcurrencyShares ?? 0), 0);
  const shares = apfShares(serverSeats, otherShares, seats);
  if (shares.ballast > 0)
    await http.send("POST", `${FLOW}/prioritylevelconfigurations`, { body: limitedLevel(APF_BALLAST, shares.ballast, 100) });
  await http.send("POST", `${FLOW}/prioritylevelconfigurations`, { body: limitedLevel(APF_LEVEL, shares.ours, 0) });
  await http.send("POST", `${FLOW}/flowschemas`, { body: flowSchemaFor(user) });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = await readLevelSeats(http);
    // The ballast's shares are in once the level's nominal seats are what the arithmetic says.
    if (now.nominal === seats && now.current === seats) {
      return { seats, serverSeats, otherShares, ...shares, nominalSeats: now.nominal, currentSeats: now.current };
    }
    if (Date.now() > deadline) throw new Error(`priority level ${APF_LEVEL}: ${JSON.stringify(now)} seats, wanted ${seats}`);
    await sleep(250);
  }
}

/** Deletes the FlowSchema, the level and the ballast (those that exist). */
export async function removeApf(http: KubeHttp): Promise<void> {
  await http.send("DELETE", `${FLOW}/flowschemas/${APF_LEVEL}`, { allow404: true });
  await http.send("DELETE", `${FLOW}/prioritylevelconfigurations/${APF_LEVEL}`, { allow404: true });
  await http.send("DELETE", `${FLOW}/prioritylevelconfigurations/${APF_BALLAST}`, { allow404: true });
}
