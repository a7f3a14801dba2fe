import type { CliCommand } from "./command.js";
import { controlPlaneCommand } from "./control-plane-command.js";
import { devCommand } from "./dev-command.js";
import { manifestsCommand } from "./manifests-command.js";
import { runCommand } from "./run-command.js";

/**
 * Every `tsoperator` subcommand. To add one, write `src/cli/<name>-command.ts` exporting a
 * {@link CliCommand} and list it here.
 */
export const commands: readonly CliCommand[] = [runCommand, devCommand, manifestsCommand, controlPlaneCommand];
