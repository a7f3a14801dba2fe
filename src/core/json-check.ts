/**
 * Finds the values in a handler's answer that cannot travel as JSON, before anything is
 * converted or written: a cycle (conversion would overflow the stack: "Maximum call stack size
 * exceeded", with no hint where), a BigInt (`JSON.stringify` throws "Do not know how to serialize
 * a BigInt" at write time, after the other writes of the sync went out), a Map or Set (written as
 * `{}`: the data is silently lost). Functions, symbols and `undefined` are dropped, as
 * `JSON.stringify` drops them, and are not reported. Pure; every problem names its path.
 */

/** Upper bound of the problems reported for one value (one Event must stay readable). */
const MAX_PROBLEMS = 5;

/**
 * The problems of `value` as JSON, each `<path> <what is wrong>`, where paths start at `root`
 * (`"status"` gives `status.conditions[0].at`; `""` gives `data.self`). Empty when it is fine.
 * Shared references that are not cycles are fine; objects with a `toJSON` method (Dates) are
 * leaves.
 */
export function nonJsonValues(value: unknown, root = ""): string[] {
  const problems: string[] = [];
  const onPath = new Set<object>();
  const pathOf = new Map<object, string>();
  const visit = (v: unknown, path: string): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    const where = path === "" ? "the value" : path;
    if (typeof v === "bigint") {
      problems.push(`${where} is a BigInt (${v}n): JSON has none; use a number or a string`);
      return;
    }
    if (v === null || typeof v !== "object") return;
    if (onPath.has(v)) {
      const target = pathOf.get(v) || "the root";
      problems.push(`${where} refers back to ${target} (a cycle): JSON cannot hold cycles`);
      return;
    }
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return;
    if (v instanceof Map || v instanceof Set) {
      problems.push(`${where} is a ${v instanceof Map ? "Map" : "Set"}: JSON writes it as {}; use a plain object or an array`);
      return;
    }
    onPath.add(v);
    pathOf.set(v, path);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) visit(v[i], `${path}[${i}]`);
    } else for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`);
    onPath.delete(v);
  };
  visit(value, root);
  return problems;
}
