import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Finds the root of the installed `tsoperator` package (the directory whose package.json is
 * named "tsoperator"), walking up from this compiled file. Walking up instead of a fixed
 * `../../../..` keeps it working from `src/` (ts-node, tsx), `dist/src/` and node_modules.
 */
export function findPackageRoot(startDir: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = startDir;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readPackageName(manifest) === "tsoperator") return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`tsoperator: cannot find the tsoperator package root above ${startDir}`);
    }
    dir = parent;
  }
}

/** The `controlplane/` directory shipped in the package: the Go modules the binaries are built from. */
export function findGoModulesDir(): string {
  return join(findPackageRoot(), "controlplane");
}

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name;
  } catch {
    return undefined;
  }
}
