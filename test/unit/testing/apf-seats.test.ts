/** The seat arithmetic of `limitUserSeats` (src/testing/apf-seats.ts): pure, no server. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { apfShares, nominalSeats, parseLevelSeats } from "../../../src/testing/apf-seats.js";

test("APF seat arithmetic: a ballast tops the shares up to the server limit, so k shares are exactly k seats", () => {
  // The suggested levels hold 245 shares of the default 600 seats: 1 share alone is 3 seats.
  assert.equal(nominalSeats(600, 1, 246), 3);
  for (const seats of [1, 2, 3, 5]) {
    const shares = apfShares(600, 245, seats);
    assert.deepEqual(shares, { ours: seats, ballast: 355 });
    assert.equal(nominalSeats(600, shares.ours, 245 + shares.ballast + shares.ours), seats);
  }
  assert.equal(apfShares(150, 245, 1).ballast, 0, "a server limit below the shares needs no ballast");
  assert.throws(() => apfShares(600, 245, 0), RangeError);
});

test("parseLevelSeats reads one level's nominal and current seats and sums its rejections", () => {
  const text = [
    'apiserver_flowcontrol_nominal_limit_seats{priority_level="faults-operator"} 1',
    'apiserver_flowcontrol_nominal_limit_seats{priority_level="global-default"} 20',
    'apiserver_flowcontrol_current_limit_seats{priority_level="faults-operator"} 1',
    'apiserver_flowcontrol_rejected_requests_total{flow_schema="faults-operator",priority_level="faults-operator",reason="concurrency-limit"} 7',
    'apiserver_flowcontrol_rejected_requests_total{flow_schema="faults-operator",priority_level="faults-operator",reason="time-out"} 2',
  ].join("\n");
  assert.deepEqual(parseLevelSeats(text, "faults-operator"), { nominal: 1, current: 1, rejected: 9 });
  assert.deepEqual(parseLevelSeats(text, "absent"), { rejected: 0 });
});

test("APF seat arithmetic without a ballast: a server limit below the other levels' shares still gets exactly k seats", () => {
  for (const seats of [1, 2, 3, 5]) {
    const shares = apfShares(150, 245, seats);
    assert.equal(shares.ballast, 0);
    assert.equal(nominalSeats(150, shares.ours, 245 + shares.ours), seats, `${seats} seats from ${shares.ours} shares`);
  }
});
