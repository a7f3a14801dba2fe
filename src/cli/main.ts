#!/usr/bin/env node
/**
 * The `tsoperator` command: a table-driven dispatcher over the subcommands in ./commands.ts.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UsageError, type CliCommand } from "./command.js";
import { commands } from "./commands.js";

/** Runs `tsoperator <args>` and resolves to the exit code (exported for tests). */
export async function main(args: string[], table: readonly CliCommand[] = commands): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(overview(table));
    return name === undefined ? 2 : 0;
  }
  const command = table.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`tsoperator: unknown command "${name}" (try: tsoperator --help)\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.help.endsWith("\n") ? command.help : command.help + "\n");
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tsoperator ${name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function overview(table: readonly CliCommand[]): string {
  const width = Math.max(...table.map((c) => c.name.length));
  return [
    "Usage: tsoperator <command> [options]",
    "",
    "Commands:",
    ...table.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `tsoperator <command> --help` for a command's options.",
    "",
  ].join("\n");
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2));
}
