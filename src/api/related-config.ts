/**
 * Turning `RelatedOptions` into a `RelatedTypeConfig`, and the problems of related types and
 * indexes that `OperatorConfig.problems()` reports (one sentence each, saying how to fix it).
 */
import { parseLabelSelector } from "../core/label-selector.js";
import { resolveTypeRef, type TypeRef } from "../core/type-ref.js";
import type { IndexDefinition, RelatedOptions, RelatedTypeConfig } from "./related.js";

/** The config of one related type (the type resolved, the options frozen). */
export function relatedTypeConfig(type: TypeRef, options: Omit<RelatedOptions, "type">): RelatedTypeConfig {
  const resolved = resolveTypeRef(type);
  const o = options ?? {};
  return Object.freeze({
    type: resolved.type,
    ...(resolved.cls ? { cls: resolved.cls } : {}),
    ...(o.names !== undefined ? { names: o.names } : {}),
    ...(o.selector !== undefined ? { selector: o.selector } : {}),
    ...(o.parentsOf !== undefined ? { parentsOf: o.parentsOf } : {}),
    cache: Object.freeze({ ...(o.cache ?? {}) }),
  });
}

/** Every problem of an operator's related types. */
export function relatedProblems(related: readonly RelatedTypeConfig[]): string[] {
  const p: string[] = [];
  const seen = new Set<string>();
  for (const r of related) {
    const what = `related type ${r.type}`;
    if (seen.has(r.type.key)) p.push(`${what} is listed twice: list each related type once (one selection and one cache per type)`);
    seen.add(r.type.key);
    const ways = (["names", "selector", "parentsOf"] as const).filter((k) => r[k] !== undefined);
    if (ways.length !== 1) {
      p.push(
        `${what} needs exactly one of names (parent -> names), selector (parent -> label selector) or parentsOf (related object -> parents)` +
          (ways.length > 1 ? `; it has ${ways.join(" and ")}` : ""),
      );
    }
    for (const k of ways) if (typeof r[k] !== "function") p.push(`${what}: ${k} must be a function`);
    const { labelSelector, fieldSelector, metadataOnly, transform } = r.cache;
    if (labelSelector !== undefined) {
      try {
        parseLabelSelector(labelSelector);
      } catch (e) {
        p.push(`${what}: cache.labelSelector is not a label selector (${(e as Error).message})`);
      }
    }
    if (fieldSelector !== undefined && (typeof fieldSelector !== "string" || fieldSelector.trim() === "")) {
      p.push(`${what}: cache.fieldSelector must be a non-empty string such as "type=kubernetes.io/tls"`);
    }
    if (metadataOnly !== undefined && typeof metadataOnly !== "boolean") p.push(`${what}: cache.metadataOnly must be true or false`);
    if (transform !== undefined && typeof transform !== "function")
      p.push(`${what}: cache.transform must be a function (object) => object`);
  }
  return p;
}

/** Every problem of an operator's indexes. */
export function indexProblems(indexes: readonly IndexDefinition[]): string[] {
  const p: string[] = [];
  const seen = new Set<string>();
  for (const def of indexes) {
    if (!def || typeof def.name !== "string" || def.name.length === 0 || typeof def.keys !== "function") {
      p.push(`index ${JSON.stringify(def?.name)} is not an index: make it with index(type, name, (obj) => key or keys)`);
      continue;
    }
    if (seen.has(def.name)) p.push(`index "${def.name}" is declared twice: give each index of an operator its own name`);
    seen.add(def.name);
  }
  return p;
}
