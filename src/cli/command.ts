/** One `tsoperator <name>` subcommand. */
export interface CliCommand {
  /** The word after `tsoperator`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help text printed by `tsoperator <name> --help`. */
  help: string;
  /** Runs with the arguments after the name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Raised for bad arguments: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
