import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import {
  ControlPlaneBuildError,
  ensureControlPlaneBinaries,
  LocalControlPlane,
  type ControlPlaneBinaries,
} from "../../src/testing/index.js";
import { waitFor } from "./support/wait.js";
import { testCrd } from "./fixtures/crds.js";

/** Minimal JSON client over the control plane's own CA and admin token. */
function apiClient(cp: LocalControlPlane) {
  const agent = new Agent({ connect: { ca: cp.caCert } });
  async function call(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown) {
    const res = await request(cp.server + path, {
      method,
      dispatcher: agent,
      headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text.startsWith("{") ? (JSON.parse(text) as any) : text };
  }
  return { call, close: () => agent.close() };
}

/** Gone: no such process, or a zombie nobody reaped yet (reparented children in a container). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
  } catch {
    return true;
  }
}

function pidList(pids: object): number[] {
  return Object.values(pids).filter((p): p is number => typeof p === "number" && p > 0);
}

describe("LocalControlPlane (real etcd + kube-apiserver + kube-controller-manager)", { timeout: 900_000 }, () => {
  let built: ControlPlaneBinaries;
  let cp: LocalControlPlane;
  let api: ReturnType<typeof apiClient>;

  before(async () => {
    built = await ensureControlPlaneBinaries(); // builds once on a fresh machine
    const started = performance.now();
    // KUBEBUILDER_ASSETS pointing at the cache, and no PATH: go cannot be what provides binaries.
    cp = await LocalControlPlane.start({ binaries: { env: { KUBEBUILDER_ASSETS: built.dir, PATH: "" } } });
    console.log(`# start to usable API: ${Math.round(performance.now() - started)} ms`);
    api = apiClient(cp);
  });

  after(async () => {
    await api?.close();
    await cp?.stop();
  });

  it("uses KUBEBUILDER_ASSETS without building", () => {
    assert.equal(cp.binaries.source, "KUBEBUILDER_ASSETS");
    assert.equal(cp.binaries.dir, built.dir);
    assert.ok(cp.binaries.kubeControllerManager?.startsWith(built.dir));
  });

  it("serves /version v1.37.2 and a ready /readyz", async () => {
    const version = await api.call("GET", "/version");
    assert.equal(version.status, 200);
    assert.equal(version.body.gitVersion, "v1.37.2");
    assert.equal(cp.version.kubernetes, "v1.37.2");
    const readyz = await api.call("GET", "/readyz");
    assert.equal(readyz.status, 200);
    assert.equal(readyz.body, "ok");
    assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(existsSync(cp.kubeconfigPath));
    assert.equal(cp.kubeConfig.getCurrentCluster()?.server, cp.server);
  });

  it("establishes a CRD with a status subresource; /status updates status only", async () => {
    const crd = testCrd("Widget", { group: "example.com", spec: { type: "object", properties: { size: { type: "integer" } } } });
    const created = await api.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor("Established", async () => {
      const got = await api.call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
      const established = got.body.status?.conditions?.find((c: any) => c.type === "Established");
      return established?.status === "True" ? true : undefined;
    });
    const path = "/apis/example.com/v1/namespaces/default/widgets";
    // Resources of a just-established CRD still answer 404 for ~2 s.
    const widget = await waitFor("the widget to be created", async () => {
      const res = await api.call("POST", path, {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w1" },
        spec: { size: 3 },
      });
      if (res.status === 404) return undefined;
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    });
    const statusUpdate = { ...widget, spec: { size: 99 }, status: { ready: true, observedGeneration: widget.metadata.generation } };
    const updated = await api.call("PUT", `${path}/w1/status`, statusUpdate);
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    const got = await api.call("GET", `${path}/w1`);
    assert.deepEqual(got.body.spec, { size: 3 }, "the status subresource must not change spec");
    assert.deepEqual(got.body.status, { ready: true, observedGeneration: 1 });
  });

  it("garbage-collects a ConfigMap whose owner was deleted", async () => {
    const cms = "/api/v1/namespaces/default/configmaps";
    const owner = await api.call("POST", cms, { metadata: { name: "owner" }, data: { a: "1" } });
    assert.equal(owner.status, 201);
    const ownerRef = { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.body.metadata.uid };
    const owned = await api.call("POST", cms, { metadata: { name: "owned", ownerReferences: [ownerRef] }, data: { b: "2" } });
    assert.equal(owned.status, 201);
    assert.equal((await api.call("DELETE", `${cms}/owner`)).status, 200);
    const started = performance.now();
    // 60 s: the garbage collector syncs its graph first, which a loaded machine stretches.
    await waitFor(
      "the owned ConfigMap to be collected",
      async () => ((await api.call("GET", `${cms}/owned`)).status === 404 ? true : undefined),
      { timeout: 60_000 },
    );
    console.log(`# garbage collection after owner delete: ${Math.round(performance.now() - started)} ms`);
  });

  it("finishes terminating a deleted namespace", async () => {
    assert.equal((await api.call("POST", "/api/v1/namespaces", { metadata: { name: "doomed" } })).status, 201);
    const cm = await api.call("POST", "/api/v1/namespaces/doomed/configmaps", { metadata: { name: "x" } });
    assert.equal(cm.status, 201);
    assert.equal((await api.call("DELETE", "/api/v1/namespaces/doomed")).status, 200);
    const started = performance.now();
    await waitFor(
      "namespace doomed to be gone",
      async () => ((await api.call("GET", "/api/v1/namespaces/doomed")).status === 404 ? true : undefined),
      { timeout: 60_000 },
    );
    console.log(`# namespace termination: ${Math.round(performance.now() - started)} ms`);
  });

  it("runs a second control plane side by side, and stop() leaves nothing behind", async () => {
    const second = await LocalControlPlane.start({ controllerManager: false });
    const secondApi = apiClient(second);
    try {
      assert.notEqual(second.server, cp.server);
      assert.notEqual(second.tempDir, cp.tempDir);
      assert.equal((await secondApi.call("GET", "/version")).body.gitVersion, "v1.37.2");
      assert.equal((await api.call("GET", "/readyz")).status, 200, "the first one still serves");
      // Each has its own etcd: the first one's CRD is unknown to the second.
      assert.equal(
        (await secondApi.call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")).status,
        404,
      );
    } finally {
      await secondApi.close();
    }
    const pids = pidList(second.pids);
    assert.equal(second.pids.controllerManager, undefined);
    const started = performance.now();
    await second.stop();
    const stopMs = performance.now() - started;
    console.log(`# stop: ${Math.round(stopMs)} ms`);
    // Not the API server's 15 s graceful shutdown (it is cut short); seconds of margin for a loaded machine.
    assert.ok(stopMs < 5_000, `stop took ${stopMs} ms`);
    await second.stop(); // idempotent
    assert.equal(existsSync(second.tempDir), false);
    await waitFor("the watchdog to exit", async () => (pids.every(processGone) ? true : undefined), { timeout: 3_000 });
  });

  it("fails start() with the tail of the failing process's log", async () => {
    const logDir = await mkdtemp(join(tmpdir(), "tsoperator-cp-fail-"));
    try {
      await assert.rejects(
        LocalControlPlane.start({ controllerManager: false, extraApiServerFlags: ["--no-such-flag"], logDir }),
        (err: Error) => {
          assert.match(err.message, /kube-apiserver exited with code \d+/);
          assert.match(err.message, /unknown flag: --no-such-flag/);
          return true;
        },
      );
    } finally {
      await rm(logDir, { recursive: true, force: true });
    }
  });

  it("cleans up when the owning process is SIGKILLed", async () => {
    const entry = new URL("../../src/testing/index.js", import.meta.url).href;
    const script =
      `const { LocalControlPlane } = await import(${JSON.stringify(entry)});` +
      `const cp = await LocalControlPlane.start();` +
      `console.log(JSON.stringify({ pids: cp.pids, tempDir: cp.tempDir }));` +
      `setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const info = JSON.parse(line) as { pids: Record<string, number>; tempDir: string };
    const pids = pidList(info.pids);
    assert.equal(pids.length, 4, `etcd, apiserver, kcm and watchdog: ${line}`);
    assert.ok(pids.every((p) => !processGone(p)) && existsSync(info.tempDir));
    child.kill("SIGKILL");
    const started = performance.now();
    await waitFor(
      "the control plane of a killed process to be gone",
      async () => (pids.every(processGone) && !existsSync(info.tempDir) ? true : undefined),
      { timeout: 5_000 },
    );
    console.log(`# cleanup after SIGKILL of the owner: ${Math.round(performance.now() - started)} ms`);
  });
});

describe("control plane binary resolution", () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "tsoperator-bin-test-"));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("says clearly when KUBEBUILDER_ASSETS has no kube-controller-manager", async () => {
    const built = await ensureControlPlaneBinaries();
    const assets = join(scratch, "envtest");
    await mkdir(assets);
    await symlink(built.kubeApiServer, join(assets, "kube-apiserver"));
    await symlink(built.etcd, join(assets, "etcd"));
    const withoutCache = await ensureControlPlaneBinaries({
      env: { KUBEBUILDER_ASSETS: assets, TSOPERATOR_CACHE_DIR: join(scratch, "empty-cache"), PATH: "" },
    });
    assert.equal(withoutCache.source, "KUBEBUILDER_ASSETS");
    assert.equal(withoutCache.kubeControllerManager, undefined);
    assert.match(withoutCache.notes.join("\n"), /no kube-controller-manager/);
    await assert.rejects(
      LocalControlPlane.start({ binaries: { env: { KUBEBUILDER_ASSETS: assets, TSOPERATOR_CACHE_DIR: join(scratch, "empty-cache") } } }),
      /kube-controller-manager is required/,
    );
    const withCache = await ensureControlPlaneBinaries({
      env: { KUBEBUILDER_ASSETS: assets, TSOPERATOR_CACHE_DIR: join(built.dir, "..", "..") },
    });
    assert.equal(withCache.kubeControllerManager, built.kubeControllerManager);
  });

  it("explains what to do when the binaries are missing and go is not installed", async () => {
    const err = await ensureControlPlaneBinaries({
      env: { TSOPERATOR_CACHE_DIR: join(scratch, "no-go-cache"), PATH: "" },
      log: () => {},
    }).then(
      () => assert.fail("expected a failure"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ControlPlaneBuildError);
    assert.match(err.message, /Install Go >= 1\.26/);
    assert.match(err.message, /KUBEBUILDER_ASSETS/);
    assert.match(err.message, /kube-apiserver\/etcd\/kube-controller-manager/);
  });
});
