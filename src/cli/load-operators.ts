/**
 * Loads the user's compiled module and finds its operators. Every way this can go wrong the user
 * can fix gets a one-line `UsageError` (exit code 2) that says how.
 *
 * A module names its operators in one of these ways (first match wins):
 * - `path#NameA,NameB`: exactly these exports;
 * - an export named `operators`: an array of operator classes/definitions;
 * - a default export: an operator class, a definition, or an array of them;
 * - otherwise every export that is a class decorated with `@Operator` or an `OperatorDefinition`
 *   (what `defineOperator` returns).
 *
 * Its webhooks: an export named `webhooks` (an array), else every export that is a class decorated
 * with `@Validator` / `@Defaulter` or what `defineValidator` / `defineDefaulter` / `defineConversion`
 * return.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compileOperator, isOperatorInput, type CompiledOperator, type OperatorInput } from "../api/compile.js";
import { UsageError } from "./command.js";
import { isWebhookInput, webhookSpecsOf, type WebhookInput } from "../webhook/definitions.js";

/** A loaded module and its operators, compiled (so problems surface before anything runs). */
export interface LoadedOperators {
  /** Absolute path of the module file. */
  readonly path: string;
  /** What `runOperators` takes. */
  readonly inputs: OperatorInput[];
  /** The same operators, compiled: configs for manifests and messages. */
  readonly compiled: CompiledOperator<unknown>[];
  /** The module's webhooks (what `RunOptions.webhooks` takes); empty when it has none. */
  readonly webhooks: WebhookInput[];
}

/** Picks the webhooks out of a module namespace object (see the file comment). */
export function webhooksOfModule(exports: Record<string, unknown>, modulePath: string): WebhookInput[] {
  if (exports.webhooks !== undefined) {
    const list = Array.isArray(exports.webhooks) ? exports.webhooks : [exports.webhooks];
    for (const [i, item] of list.entries()) {
      if (!isWebhookInput(item)) {
        throw new UsageError(
          `webhooks[${i}] in ${modulePath} is not a webhook: expected a class decorated with @Validator or @Defaulter, ` +
            "or what defineValidator / defineDefaulter / defineConversion return",
        );
      }
    }
    return list as WebhookInput[];
  }
  return Object.values(exports).filter(isWebhookInput);
}

function describe(name: string, value: unknown): string {
  if (typeof value === "function") return `class ${value.name || name}`;
  return `export "${name}"`;
}

/** Checks one candidate; a class without `@Operator` (or anything else) is a usage error. */
function asInput(name: string, value: unknown, modulePath: string): OperatorInput {
  if (isOperatorInput(value)) return value;
  if (typeof value === "function") {
    throw new UsageError(
      `${describe(name, value)} in ${modulePath} is not decorated with @Operator: add @Operator({ name, parent, children }) and a @Sync() method`,
    );
  }
  throw new UsageError(
    `${describe(name, value)} in ${modulePath} is not an operator: expected a class decorated with @Operator or what defineOperator(config, handler) returns`,
  );
}

function fromList(name: string, value: unknown, modulePath: string): OperatorInput[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => asInput(Array.isArray(value) ? `${name}[${i}]` : name, item, modulePath));
}

/** Picks the operators out of a module namespace object (see the file comment for the rules). */
export function operatorsOfModule(exports: Record<string, unknown>, modulePath: string, selected?: readonly string[]): OperatorInput[] {
  if (selected && selected.length > 0) {
    return selected.flatMap((name) => {
      if (!(name in exports))
        throw new UsageError(`${modulePath} has no export named "${name}" (exports: ${Object.keys(exports).join(", ") || "none"})`);
      return fromList(name, exports[name], modulePath);
    });
  }
  if (exports.operators !== undefined) return fromList("operators", exports.operators, modulePath);
  if (exports.default !== undefined) return fromList("default", exports.default, modulePath);
  return Object.entries(exports)
    .filter(([, value]) => isOperatorInput(value))
    .map(([, value]) => value as OperatorInput);
}

/** The one-line form of an error message (OperatorDefinitionError lists problems on several lines). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*(- )?/g, "; ").trim();
}

/** The one-line fix for a module that failed to import. */
function loadHint(file: string, error: unknown): string {
  if (TYPESCRIPT_SOURCE.test(file)) return "pass the compiled .js file, not the .ts source (run tsc first, e.g. dist/operators.js)";
  const code = (error as { code?: unknown })?.code;
  if (error instanceof SyntaxError || code === "ERR_UNKNOWN_FILE_EXTENSION" || code === "ERR_IMPORT_ATTRIBUTE_MISSING") {
    return "pass a compiled JavaScript module that exports operators, e.g. dist/operators.js";
  }
  if (code === "ERR_MODULE_NOT_FOUND") return "install the module's dependencies (npm install) or fix the import it names";
  return "the module threw while loading; fix the error above (run it with node to see the stack)";
}

const TYPESCRIPT_SOURCE = /\.[cm]?tsx?$/;

/** Imports `spec` (`path` or `path#Export,Export`) and returns its operators, compiled. */
export async function loadOperators(spec: string | undefined): Promise<LoadedOperators> {
  if (!spec)
    throw new UsageError("missing <module>: the path of a compiled JavaScript module that exports operators, e.g. dist/operators.js");
  const hash = spec.lastIndexOf("#");
  const file = hash > 0 ? spec.slice(0, hash) : spec;
  const selected =
    hash > 0
      ? spec
          .slice(hash + 1)
          .split(",")
          .filter(Boolean)
      : undefined;
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UsageError(
      `module not found: ${path}${TYPESCRIPT_SOURCE.test(file) ? " (pass the compiled .js file, not the .ts source)" : ""}`,
    );
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(
      `could not load ${path}: ${oneLine(error instanceof Error ? error.message : String(error))}: ${loadHint(file, error)}`,
    );
  }
  const inputs = operatorsOfModule(exports, path, selected);
  if (inputs.length === 0) {
    throw new UsageError(
      `${path} exports no operators: export classes decorated with @Operator, defineOperator(config, handler) results, or an "operators" array`,
    );
  }
  const compiled = inputs.map((input) => {
    try {
      return compileOperator<unknown>(input);
    } catch (error) {
      throw new UsageError(oneLine((error as Error).message));
    }
  });
  const names = new Set<string>();
  for (const c of compiled) {
    if (names.has(c.config.name))
      throw new UsageError(`two operators are named "${c.config.name}" in ${path}: operator names must be unique`);
    names.add(c.config.name);
  }
  const webhooks = webhooksOfModule(exports, path);
  try {
    webhookSpecsOf(webhooks);
  } catch (error) {
    throw new UsageError(oneLine((error as Error).message));
  }
  return { path, inputs, compiled, webhooks };
}
