/** `tsoperator manifests`' flags (pure parsing): every bad argument is a one-line UsageError (exit 2) naming the fix. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestsPlanFrom } from "../../../src/cli/manifests-command.js";
import { UsageError } from "../../../src/cli/command.js";

describe("tsoperator manifests flags", () => {
  it("image, tag and pull policy reach the Deployment options; the tag defaults to latest", () => {
    const plan = manifestsPlanFrom(["m.js", "--image", "registry.example.com/ops", "--tag", "1.2.3", "--pull-policy", "IfNotPresent"]);
    assert.equal(plan.image, "registry.example.com/ops");
    assert.equal(plan.tag, "1.2.3");
    assert.equal(plan.options.deployment?.imagePullPolicy, "IfNotPresent");
    assert.equal(manifestsPlanFrom(["m.js"]).tag, "latest");
    assert.equal(manifestsPlanFrom(["m.js", "--image", "registry:5000/ops"]).tag, "latest", "a registry port is not a tag");
    assert.equal(manifestsPlanFrom(["m.js", "--image", "ops:2"]).tag, undefined, "the image's own tag is kept");
  });

  it("--no-crds, --crds-only, --format kustomize, monitoring and policy flags", () => {
    assert.equal(manifestsPlanFrom(["m.js", "--no-crds"]).crds, "none");
    assert.equal(manifestsPlanFrom(["m.js", "--crds-only"]).crds, "only");
    assert.equal(manifestsPlanFrom(["m.js"]).crds, "all");
    const plan = manifestsPlanFrom(["m.js", "--format", "kustomize", "--out", "deploy", "--service-monitor", "--grafana-dashboard"]);
    assert.equal(plan.format, "kustomize");
    assert.deepEqual(plan.options.platform, { serviceMonitor: true, grafanaDashboard: true, policies: true });
    const noPolicies = manifestsPlanFrom(["m.js", "--no-policies", "--allow-port", "9443"]);
    assert.deepEqual(noPolicies.options.platform, {
      serviceMonitor: false,
      grafanaDashboard: false,
      policies: false,
      extraIngressPorts: [9443],
    });
  });

  it("every bad argument is a one-line UsageError saying how to fix it", () => {
    const scratch = mkdtempSync(join(tmpdir(), "manifests-args-"));
    const aFile = join(scratch, "a-file");
    writeFileSync(aFile, "x");
    const cases: Array<[string[], RegExp]> = [
      [["--crds-only", "--no-crds"], /--crds-only and --no-crds contradict each other: pass one of them/],
      [["--crds-only", "--image", "x"], /--image shapes the Deployment, which --crds-only leaves out: drop one of them/],
      [["--crds-only", "--replicas", "2"], /--replicas shapes the Deployment/],
      [["--crds-only", "--service-monitor"], /--service-monitor shapes the Deployment/],
      [["--format", "helm"], /--format must be one of yaml, kustomize \(got "helm"\)/],
      [["--format", "kustomize"], /--format kustomize writes one file per object: pass --out <dir> too/],
      [["--dockerfile"], /--dockerfile writes a file: pass --out <dir> too/],
      [["--pull-policy", "always"], /--pull-policy must be one of Always, IfNotPresent, Never \(got "always"\)/],
      [["--image", "Bad Image"], /--image "Bad Image" is not an image reference/],
      [["--image", "ops:1", "--tag", "2"], /--image "ops:1" already has a tag or digest: drop --tag/],
      [["--image", "ops@sha256:abc", "--tag", "2"], /already has a tag or digest/],
      [["--tag", "bad!"], /--tag "bad!" is not an image tag/],
      [["--replicas", "-1"], /--replicas is missing its value: write --replicas=<value> for a value starting with "-"/],
      [["--replicas=-1"], /--replicas must be a whole number from 0 to 100/],
      [["--replicas", "two"], /--replicas must be a whole number/],
      [["--health-port", "70000"], /--health-port must be a whole number from 1 to 65535/],
      [["--allow-port", "0"], /--allow-port must be a whole number from 1 to 65535/],
      [["--install-namespace", "Bad_NS"], /--install-namespace "Bad_NS" is not a valid namespace/],
      [["--namespace", "a,Bad_NS"], /--namespace "Bad_NS" is not a valid namespace/],
      [["--name", "My Op"], /--name "My Op" is not a valid name/],
      [["--label-selector", "a in (x"], /--label-selector/],
      [["--out", aFile], /--out .*a-file is not a directory/],
      [["--bogus"], /Unknown option '--bogus'/],
      [["--out"], /--out/],
      [["second.js"], /expected one <module>, got 2/],
    ];
    for (const [flags, message] of cases) {
      assert.throws(
        () => manifestsPlanFrom(["m.js", ...flags]),
        (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes("\n"),
        flags.join(" "),
      );
    }
  });
});
