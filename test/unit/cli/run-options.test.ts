/** `tsoperator run`'s flags (pure parsing) and the dev command's child arguments. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runOptionsFrom } from "../../../src/cli/run-command.js";
import { devRunArgs } from "../../../src/cli/dev-command.js";
import { UsageError } from "../../../src/cli/command.js";

describe("tsoperator run flags", () => {
  it("lease flags set the Lease namespace, name and durations; --cold-standby turns warm caches off", () => {
    const { options } = runOptionsFrom([
      "m.js",
      "--leader-elect",
      "--lease-namespace",
      "ops",
      "--lease-name",
      "my-lock",
      "--lease-duration",
      "30",
      "--renew-deadline",
      "20",
      "--retry-period",
      "4",
      "--cold-standby",
    ]);
    assert.deepEqual(options.leaderElection, {
      namespace: "ops",
      name: "my-lock",
      leaseDurationSeconds: 30,
      renewDeadlineSeconds: 20,
      retryPeriodSeconds: 4,
      warmCaches: false,
    });
  });

  it("a lease flag without --leader-elect is a usage error (exit 2), not silently ignored", () => {
    for (const flag of [["--lease-namespace", "ops"], ["--lease-name", "x"], ["--lease-duration", "20"], ["--cold-standby"]]) {
      const needsElection = (e: unknown) => e instanceof UsageError && /needs --leader-elect/.test(e.message);
      assert.throws(() => runOptionsFrom(["m.js", ...flag]), needsElection, flag[0]);
    }
  });

  it("bad lease values are usage errors with the fix", () => {
    assert.throws(() => runOptionsFrom(["m.js", "--leader-elect", "--lease-namespace", "Bad_NS"]), UsageError);
    assert.throws(() => runOptionsFrom(["m.js", "--leader-elect", "--lease-duration", "5"]), /must be greater than --renew-deadline/);
    const tight = ["--renew-deadline", "3", "--retry-period", "2", "--lease-duration", "9"];
    assert.throws(() => runOptionsFrom(["m.js", "--leader-elect", ...tight]), /1.5 x --retry-period/);
  });

  it("--health-host and --cache-sync-timeout reach the run options", () => {
    const { options } = runOptionsFrom(["m.js", "--health-host", "127.0.0.1", "--cache-sync-timeout", "30"]);
    assert.equal(options.healthHost, "127.0.0.1");
    assert.equal(options.cacheSyncTimeoutMs, 30_000);
    assert.equal(options.leaderElection, undefined);
  });
});

describe("tsoperator dev", () => {
  it("serves probes and metrics on loopback; the user's run options come last and win", () => {
    const args = devRunArgs("dist/ops.js", ["--log-level", "debug"]);
    assert.deepEqual(args, ["run", "dist/ops.js", "--health-port", "0", "--health-host", "127.0.0.1", "--log-level", "debug"]);
    const { options } = runOptionsFrom(args.slice(1));
    assert.equal(options.healthHost, "127.0.0.1");
    assert.equal(runOptionsFrom(devRunArgs("m.js", ["--health-host", "0.0.0.0"]).slice(1)).options.healthHost, "0.0.0.0");
  });
});
