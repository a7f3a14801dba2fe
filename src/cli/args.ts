/** Option parsing shared by the subcommands: node:util's parseArgs, with usage errors as `UsageError`. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./command.js";
import { labelSelectorProblem } from "../api/scope.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `args` strictly; unknown options and missing values become one-line usage errors. */
export function parseCommandArgs<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    // node:util's own fix for a value starting with "-" is on a later line: keep it, in one line.
    const dashed = /use '(--[\w-]+)=-XYZ'/.exec(message);
    if (dashed) throw new UsageError(`${dashed[1]} is missing its value: write ${dashed[1]}=<value> for a value starting with "-"`);
    throw new UsageError(message.split("\n")[0]!.replace(/\. To specify .*$/, ""));
  }
}

/** A whole number within bounds, or a usage error naming the flag. */
export function intOption(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}

/** One of the allowed words, or a usage error listing them. */
export function choiceOption<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`${flag} must be one of ${choices.join(", ")} (got "${value}")`);
  return value as T;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A namespace name (a DNS-1123 label), or a usage error naming the flag and the rule. */
export function namespaceOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!DNS1123_LABEL.test(value) || value.length > 63) {
    throw new UsageError(
      `${flag} "${value}" is not a valid namespace: use lower-case letters, digits and "-" (at most 63), e.g. "tsoperator-system"`,
    );
  }
  return value;
}

/**
 * The namespaces of a repeatable flag (`--namespace a --namespace b` or `--namespace a,b`),
 * deduplicated, each checked like {@link namespaceOption}; undefined when the flag is absent.
 */
export function namespacesOption(values: readonly string[] | undefined, flag: string): string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const names = values.flatMap((v) => v.split(",")).map((v) => v.trim());
  return [...new Set(names.map((name) => namespaceOption(name, flag)!))];
}

/** A label selector (`shard=a,tier!=test`), or a usage error saying what is wrong with it. */
export function labelSelectorOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const problem = labelSelectorProblem(value);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return value;
}

/** An object name usable for a ServiceAccount, Deployment and Role (a DNS-1123 label), or a usage error. */
export function nameOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!DNS1123_LABEL.test(value) || value.length > 63) {
    throw new UsageError(
      `${flag} "${value}" is not a valid name: use lower-case letters, digits and "-" (at most 63), e.g. "echo-operator"`,
    );
  }
  return value;
}

/** Exactly one positional argument (the module), or a usage error. */
export function onePositional(positionals: string[], what = "<module>"): string | undefined {
  if (positionals.length > 1) throw new UsageError(`expected one ${what}, got ${positionals.length}: ${positionals.join(" ")}`);
  return positionals[0];
}
