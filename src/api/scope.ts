/**
 * An operator's scope: which parents it watches and manages — a list of namespaces (or all) and a
 * label selector on parents — and the one rule that combines an operator's own scope with the
 * process's (`RunOptions`, the CLI, the Nest module). Pure; the runner builds informers from it,
 * `tsoperator manifests` builds Roles from it.
 *
 * Rules:
 * - namespaces: the operator's own (`namespace` and `namespaces` together) win over the process's;
 *   none on either side means every namespace. They apply to namespaced parents and their
 *   namespaced children; a cluster-scoped parent's children may live anywhere, so they ignore it;
 * - label selectors: both apply (joined with ",", which Kubernetes reads as AND), so a process-wide
 *   shard selector narrows every operator;
 * - children (and every other object the operator watches for a parent) follow the scope: listed
 *   namespaces only, never cluster-wide when scoped.
 */

/** The scope settings, on an operator or on the process. */
export interface ScopeSettings {
  /** One namespace (the older, single form). */
  readonly namespace?: string;
  /** Several namespaces. */
  readonly namespaces?: readonly string[];
  /** A label selector on parents. */
  readonly labelSelector?: string;
}

/** An operator's effective scope. */
export interface OperatorScope {
  /** The namespaces watched; undefined: every namespace (or a cluster-scoped parent). */
  readonly namespaces?: readonly string[];
  /** The parents' label selector; undefined: every parent. */
  readonly labelSelector?: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The namespaces of a scope setting (`namespace` and `namespaces` together, deduplicated); undefined when none. */
export function namespacesOf(settings: ScopeSettings): readonly string[] | undefined {
  const all = [...(settings.namespace !== undefined ? [settings.namespace] : []), ...(settings.namespaces ?? [])];
  return all.length === 0 ? undefined : [...new Set(all)];
}

/**
 * The effective scope of an operator: its own settings combined with the process's (see the
 * module comment). `parentNamespaced` false drops the namespaces (a cluster-scoped parent).
 */
export function operatorScope(own: ScopeSettings, process: ScopeSettings = {}, parentNamespaced = true): OperatorScope {
  const namespaces = parentNamespaced ? (namespacesOf(own) ?? namespacesOf(process)) : undefined;
  const selectors = [own.labelSelector, process.labelSelector].map((s) => s?.trim()).filter((s): s is string => !!s);
  const labelSelector = [...new Set(selectors)].join(",");
  return {
    ...(namespaces ? { namespaces } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  };
}

/**
 * What is wrong with a scope, one sentence each (empty when valid): namespaces must be DNS-1123
 * labels and a list must not be empty; a selector must parse (see {@link labelSelectorProblem}).
 */
export function scopeProblems(
  namespaces: readonly string[] | undefined,
  labelSelector: string | undefined,
  parentNamespaced?: boolean,
): string[] {
  const p: string[] = [];
  if (namespaces !== undefined) {
    if (!Array.isArray(namespaces) || namespaces.length === 0)
      p.push("namespaces must be a non-empty list of namespace names (leave it out to watch every namespace)");
    else {
      for (const ns of namespaces) {
        if (typeof ns !== "string" || !DNS1123_LABEL.test(ns) || ns.length > 63)
          p.push(`invalid namespace ${JSON.stringify(ns)} in namespaces: a namespace is a DNS-1123 label, e.g. "default"`);
      }
      if (parentNamespaced === false) p.push("namespaces were set but the parent is cluster-scoped: remove the namespaces option");
    }
  }
  if (labelSelector !== undefined) {
    const problem = labelSelectorProblem(labelSelector);
    if (problem) p.push(problem);
  }
  return p;
}

const KEY = String.raw`(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`;
const VALUE = `(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;
const REQUIREMENT = new RegExp(
  String.raw`^\s*(?:!\s*${KEY}|${KEY}(?:\s*(?:==|=|!=)\s*${VALUE}|\s+(?:in|notin)\s*\(\s*${VALUE}(?:\s*,\s*${VALUE})*\s*\))?)\s*$`,
);

/**
 * Why `selector` is not a Kubernetes label selector (undefined when it is): requirements joined by
 * ",", each `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (a,b)` or
 * `key notin (a,b)`. Checked before anything runs: the API server would refuse every list.
 */
export function labelSelectorProblem(selector: string): string | undefined {
  if (typeof selector !== "string" || selector.trim() === "")
    return 'labelSelector must be a non-empty label selector, e.g. "shard=a" (leave it out to watch every parent)';
  for (const requirement of splitRequirements(selector)) {
    if (!REQUIREMENT.test(requirement))
      return `invalid labelSelector ${JSON.stringify(selector)}: "${requirement.trim()}" is not a requirement (key, !key, key=value, key!=value, key in (a,b), key notin (a,b))`;
  }
  return undefined;
}

/** Splits a selector at the commas outside parentheses. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts;
}
