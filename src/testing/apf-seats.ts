/**
 * The arithmetic behind {@link limitUserSeats} (user-seats.ts): how many shares a priority level
 * needs for exactly `seats` seats, and the apiserver's own figures for a level read from `/metrics`.
 * Pure: no I/O.
 *
 * Seat arithmetic (apiserver flowcontrol, v1): the server's concurrency limit L is
 * `--max-requests-inflight + --max-mutating-requests-inflight` (400 + 200 = 600 by default), and a
 * level's nominal seats are `ceil(L * shares / sum of every level's nominalConcurrencyShares)`. With
 * the suggested levels' 245 shares, 1 share gives ceil(600 / 246) = 3 seats: one seat needs the
 * shares of all levels to reach L. So a second level, the ballast (no FlowSchema points at it,
 * lendablePercent 100 so the levels that may borrow lose nothing), tops the other levels' shares up
 * to L: then `seats` shares give `ceil(L * seats / (L + seats))` = `seats` (for seats * (seats - 1) < L).
 * When the other levels already hold L shares or more (a server started with a small limit), no
 * ballast is needed: our share count is the smallest that gives `seats`. With lending and borrowing
 * at 0 the level's current limit stays its nominal one.
 */

/** Shares of the limited level and of the ballast level for exactly the wanted seats. */
export interface ApfShares {
  ours: number;
  ballast: number;
}

/** The nominal seats a level with `shares` gets when all levels hold `allShares` (the apiserver's formula). */
export function nominalSeats(serverSeats: number, shares: number, allShares: number): number {
  return Math.ceil((serverSeats * shares) / allShares);
}

/** Shares for exactly `seats` seats of a server limit `serverSeats`; `otherShares` is the sum over the other levels. */
export function apfShares(serverSeats: number, otherShares: number, seats: number): ApfShares {
  if (!(Number.isInteger(seats) && seats >= 1 && seats * (seats - 1) < serverSeats)) {
    throw new RangeError(`cannot size ${seats} seats of ${serverSeats}`);
  }
  if (otherShares <= serverSeats) return { ours: seats, ballast: serverSeats - otherShares };
  // L * x / (others + x) grows by less than 1 per share here, so some x lands on `seats` exactly.
  for (let ours = 1; ; ours++) {
    const got = nominalSeats(serverSeats, ours, otherShares + ours);
    if (got === seats) return { ours, ballast: 0 };
    if (got > seats) throw new RangeError(`cannot size ${seats} seats of ${serverSeats} with ${otherShares} other shares`);
  }
}

/** What the apiserver reports for one priority level (its `/metrics`). */
export interface LevelSeats {
  /** `apiserver_flowcontrol_nominal_limit_seats`. */
  nominal?: number;
  /** `apiserver_flowcontrol_current_limit_seats` (nominal plus borrowed, minus lent). */
  current?: number;
  /** `apiserver_flowcontrol_rejected_requests_total` summed over flow schemas and reasons. */
  rejected: number;
}

/** Reads a level's seats and rejections from the apiserver's Prometheus text. */
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
