/** `tsoperator run`'s client and probe flags: --qps/--burst, --user-agent, --health-port/--no-health. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runOptionsFrom } from "../../../src/cli/run-command.js";
import { UsageError } from "../../../src/cli/command.js";

describe("tsoperator run: client and probe flags", () => {
  it("--qps and --burst set the client-side rate limit (burst defaults to twice the qps)", () => {
    assert.deepEqual(runOptionsFrom(["m.js", "--qps", "50", "--burst", "80"]).options.clientRateLimit, { qps: 50, burst: 80 });
    assert.deepEqual(runOptionsFrom(["m.js", "--qps", "20"]).options.clientRateLimit, { qps: 20, burst: 40 });
    assert.equal(runOptionsFrom(["m.js"]).options.clientRateLimit, undefined, "off by default");
  });

  it("--burst without --qps, or a qps of 0, is a usage error", () => {
    assert.throws(
      () => runOptionsFrom(["m.js", "--burst", "10"]),
      (e) => e instanceof UsageError && /--burst needs --qps/.test(e.message),
    );
    assert.throws(() => runOptionsFrom(["m.js", "--qps", "0"]), UsageError);
  });

  it("--user-agent reaches the run options; a non-printable one is refused", () => {
    assert.equal(runOptionsFrom(["m.js", "--user-agent", "backup-operator/1.2"]).options.userAgent, "backup-operator/1.2");
    assert.throws(() => runOptionsFrom(["m.js", "--user-agent", "bad\nagent"]), UsageError);
  });

  it("the health port is the runtime's default (8080) unless given; --no-health turns the server off", () => {
    assert.equal(runOptionsFrom(["m.js"]).options.healthPort, undefined);
    assert.equal(runOptionsFrom(["m.js", "--health-port", "9090"]).options.healthPort, 9090);
    assert.equal(runOptionsFrom(["m.js", "--no-health"]).options.healthPort, false);
  });
});
