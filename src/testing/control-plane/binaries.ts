import { constants } from "node:fs";
import { access, mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { acquireDirLock } from "./build-lock.js";
import { buildControlPlaneWithGo, ControlPlaneBuildError, type ProgressLogger } from "./go-build.js";
import { findGoModulesDir } from "./package-root.js";
import { CONTROL_PLANE_CACHE_KEY, CONTROL_PLANE_VERSIONS, type ControlPlaneVersions } from "./versions.js";

/** Where a set of binaries came from. */
export type ControlPlaneBinarySource = "KUBEBUILDER_ASSETS" | "cache" | "built";

/** Paths of the control plane executables. */
export interface ControlPlaneBinaries {
  /** Directory holding kube-apiserver and etcd. */
  dir: string;
  kubeApiServer: string;
  etcd: string;
  /** Undefined when KUBEBUILDER_ASSETS lacks it and the cache has none either (see `notes`). */
  kubeControllerManager?: string;
  source: ControlPlaneBinarySource;
  /** The versions this package expects (binaries from KUBEBUILDER_ASSETS may differ). */
  versions: ControlPlaneVersions;
  /** Things worth telling the user, e.g. where kube-controller-manager came from. */
  notes: string[];
}

/** Options of {@link ensureControlPlaneBinaries}. */
export interface EnsureBinariesOptions {
  /** Environment to read KUBEBUILDER_ASSETS, TSOPERATOR_CACHE_DIR, XDG_CACHE_HOME and PATH from. */
  env?: NodeJS.ProcessEnv;
  /** Build with `go` when no binaries are found (default true). */
  allowBuild?: boolean;
  /** Progress lines; default: stderr. */
  log?: ProgressLogger;
}

const APISERVER = "kube-apiserver";
const ETCD = "etcd";
const CONTROLLER_MANAGER = "kube-controller-manager";

/**
 * The cache root: `$TSOPERATOR_CACHE_DIR`, else `$XDG_CACHE_HOME/tsoperator`, else
 * `~/.cache/tsoperator`.
 */
export function controlPlaneCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSOPERATOR_CACHE_DIR) return env.TSOPERATOR_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "tsoperator");
  return join(homedir(), ".cache", "tsoperator");
}

/** The per-version directory the built binaries live in. */
export function controlPlaneCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(controlPlaneCacheRoot(env), "controlplane", CONTROL_PLANE_CACHE_KEY);
}

/**
 * Finds the kube-apiserver, etcd and kube-controller-manager binaries, building them once from
 * the Go modules shipped in this package when they are nowhere to be found.
 *
 * Order: `KUBEBUILDER_ASSETS` (the envtest convention), then the per-version cache directory,
 * then `go build` into the cache (under a cross-process lock, so parallel test processes build
 * once and the others wait).
 */
export async function ensureControlPlaneBinaries(options: EnsureBinariesOptions = {}): Promise<ControlPlaneBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const cacheDir = controlPlaneCacheDir(env);

  const assets = env.KUBEBUILDER_ASSETS;
  if (assets) return fromKubebuilderAssets(assets, cacheDir);

  const cached = await fromCache(cacheDir, "cache");
  if (cached) return cached;
  if (options.allowBuild === false) {
    throw new ControlPlaneBuildError(`no control plane binaries in ${cacheDir} and building is disabled`);
  }
  return buildIntoCache(cacheDir, env, log);
}

async function fromKubebuilderAssets(assets: string, cacheDir: string): Promise<ControlPlaneBinaries> {
  const missing = [];
  for (const name of [APISERVER, ETCD]) if (!(await isExecutable(join(assets, name)))) missing.push(name);
  if (missing.length > 0) {
    throw new Error(`tsoperator: KUBEBUILDER_ASSETS=${assets} has no executable ${missing.join(" or ")}`);
  }
  const notes: string[] = [];
  let kubeControllerManager: string | undefined = join(assets, CONTROLLER_MANAGER);
  if (!(await isExecutable(kubeControllerManager))) {
    const fallback = join(cacheDir, CONTROLLER_MANAGER);
    if (await isExecutable(fallback)) {
      kubeControllerManager = fallback;
      notes.push(`KUBEBUILDER_ASSETS has no ${CONTROLLER_MANAGER}; using the cached one at ${fallback}`);
    } else {
      kubeControllerManager = undefined;
      notes.push(
        `KUBEBUILDER_ASSETS (${assets}) has no ${CONTROLLER_MANAGER} (setup-envtest does not ship it): ` +
          `garbage collection and namespace deletion will not happen. Add ${CONTROLLER_MANAGER} to that ` +
          `directory, or unset KUBEBUILDER_ASSETS to build all three from Go modules.`,
      );
    }
  }
  return {
    dir: assets,
    kubeApiServer: join(assets, APISERVER),
    etcd: join(assets, ETCD),
    kubeControllerManager,
    source: "KUBEBUILDER_ASSETS",
    versions: { ...CONTROL_PLANE_VERSIONS },
    notes,
  };
}

async function fromCache(dir: string, source: ControlPlaneBinarySource): Promise<ControlPlaneBinaries | undefined> {
  for (const name of [APISERVER, ETCD, CONTROLLER_MANAGER]) {
    if (!(await isExecutable(join(dir, name)))) return undefined;
  }
  return {
    dir,
    kubeApiServer: join(dir, APISERVER),
    etcd: join(dir, ETCD),
    kubeControllerManager: join(dir, CONTROLLER_MANAGER),
    source,
    versions: { ...CONTROL_PLANE_VERSIONS },
    notes: [],
  };
}

async function buildIntoCache(cacheDir: string, env: NodeJS.ProcessEnv, log: ProgressLogger): Promise<ControlPlaneBinaries> {
  const parent = join(cacheDir, "..");
  await mkdir(parent, { recursive: true });
  const lock = await acquireDirLock(`${cacheDir}.lock`, {
    onWait: (owner, waitedMs) =>
      log(
        `tsoperator: waiting for process ${owner?.pid ?? "?"} to finish building the control plane ` + `(${Math.round(waitedMs / 1000)} s)`,
      ),
    reportEveryMs: 15_000,
  });
  try {
    // Another process may have finished the build while we waited for the lock.
    const done = await fromCache(cacheDir, "cache");
    if (done) return done;
    const tmpDir = `${cacheDir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(tmpDir, { recursive: true });
    try {
      const started = Date.now();
      await buildControlPlaneWithGo({ goModulesDir: findGoModulesDir(), outDir: tmpDir, env, log });
      // An incomplete directory (an interrupted manual copy) would make rename fail; we hold the lock.
      await rm(cacheDir, { recursive: true, force: true });
      await rename(tmpDir, cacheDir); // atomic: readers see all three binaries or none
      log(`tsoperator: control plane binaries ready in ${cacheDir} (${Math.round((Date.now() - started) / 1000)} s)`);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    const built = await fromCache(cacheDir, "built");
    if (!built) throw new Error(`tsoperator: build finished but ${cacheDir} is incomplete`);
    return built;
  } finally {
    await lock.release();
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
