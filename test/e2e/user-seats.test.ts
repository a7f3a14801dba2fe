/**
 * `limitUserSeats` on an API server started with a small concurrency limit (150 seats, below the
 * suggested levels' 245 shares): the limit is measured, not assumed, so the user still gets exactly
 * the seats asked for (no ballast level needed), and a second limit after `lift()` on the same
 * control plane gets its own seats (a deleted level's figures may linger in `/metrics`).
 * The 429s themselves are shown by adaptive-concurrency and apf-operator.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { LocalControlPlane, limitUserSeats } from "../../src/testing/index.js";

let cp: LocalControlPlane;

before(async () => {
  cp = await LocalControlPlane.start({
    controllerManager: false,
    extraApiServerFlags: ["--max-requests-inflight=100", "--max-mutating-requests-inflight=50"],
  });
});

after(async () => {
  await cp?.stop();
});

test("limitUserSeats measures a small server limit and gives exactly the seats asked for, twice in a row", async () => {
  const two = await limitUserSeats(cp, "seats-a", 2);
  assert.equal(two.serverSeats, 150, "the server's limit, measured");
  assert.equal(two.shares.ballast, 0, "the other levels already hold more shares than the server has seats");
  assert.deepEqual(await two.levelSeats(), { nominal: 2, current: 2, rejected: 0 });
  await two.lift();

  const three = await limitUserSeats(cp, "seats-a", 3);
  assert.equal(three.serverSeats, 150);
  const now = await three.levelSeats();
  assert.equal(now.nominal, 3);
  assert.equal(now.current, 3);
  await three.lift();
});
