/**
 * Label selectors, as Kubernetes writes them: the string form (`app=db,tier!=cache,env in (a,b),!legacy`)
 * or the object form of `metav1.LabelSelector` (`matchLabels` + `matchExpressions`). Pure: parsing,
 * matching and the canonical string (what a list/watch sends as `labelSelector`). Used by related
 * resources (a parent selects related objects by label) and their caches.
 *
 * Guarantees: the semantics of `k8s.io/apimachinery/pkg/labels` for the operators it parses
 * (`=`, `==`, `!=`, `in`, `notin`, exists, `!` does-not-exist); an empty selector matches everything;
 * a malformed one throws `TypeError` saying where.
 */

/** One `matchExpressions` entry of a `metav1.LabelSelector`. */
export interface LabelSelectorRequirement {
  /** The label key. */
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  /** The values for `In`/`NotIn`; absent for `Exists`/`DoesNotExist`. */
  readonly values?: readonly string[];
}

/**
 * A label selector: the string form (`"app=db,tier in (a,b)"`) or the object form
 * (`{ matchLabels: { app: "db" }, matchExpressions: [...] }`); both select objects whose labels
 * satisfy every term.
 */
export type LabelSelector =
  | string
  | {
      readonly matchLabels?: Readonly<Record<string, string>>;
      readonly matchExpressions?: readonly LabelSelectorRequirement[];
    };

/** A parsed selector: every requirement must hold. */
export type ParsedLabelSelector = readonly LabelSelectorRequirement[];

/** Parses either form; throws `TypeError` for a malformed selector. */
export function parseLabelSelector(selector: LabelSelector): ParsedLabelSelector {
  if (typeof selector === "string") return parseSelectorString(selector);
  if (selector === null || typeof selector !== "object") throw new TypeError(`not a label selector: ${JSON.stringify(selector)}`);
  const out: LabelSelectorRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) out.push({ key, operator: "In", values: [String(value)] });
  for (const expr of selector.matchExpressions ?? []) {
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(expr.operator)) {
      throw new TypeError(`label selector operator ${JSON.stringify(expr.operator)} is not one of In, NotIn, Exists, DoesNotExist`);
    }
    out.push(
      expr.values ? { key: expr.key, operator: expr.operator, values: [...expr.values] } : { key: expr.key, operator: expr.operator },
    );
  }
  return out;
}

/** true when `labels` satisfy every requirement (an empty selector matches everything). */
export function labelsMatch(selector: ParsedLabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const r of selector) {
    const has = Object.hasOwn(l, r.key);
    switch (r.operator) {
      case "In":
        if (!has || !(r.values ?? []).includes(l[r.key]!)) return false;
        break;
      case "NotIn":
        if (has && (r.values ?? []).includes(l[r.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** The canonical string form (what the API server takes as `labelSelector`); equal selectors give equal strings. */
export function labelSelectorString(selector: LabelSelector | ParsedLabelSelector): string {
  const parsed = Array.isArray(selector) ? (selector as ParsedLabelSelector) : parseLabelSelector(selector as LabelSelector);
  return parsed
    .map((r) => {
      switch (r.operator) {
        case "In":
          return r.values?.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...(r.values ?? [])].sort().join(",")})`;
        case "NotIn":
          return `${r.key} notin (${[...(r.values ?? [])].sort().join(",")})`;
        case "Exists":
          return r.key;
        case "DoesNotExist":
          return `!${r.key}`;
      }
      return "";
    })
    .sort()
    .join(",");
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function parseSelectorString(text: string): ParsedLabelSelector {
  const out: LabelSelectorRequirement[] = [];
  for (const term of splitTerms(text)) {
    const t = term.trim();
    if (t === "") continue;
    const fail = (why: string): never => {
      throw new TypeError(`label selector ${JSON.stringify(text)}: term ${JSON.stringify(t)} ${why}`);
    };
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(t);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim());
      if (!KEY.test(set[1]!)) fail("has an invalid key");
      if (values.some((v) => !VALUE.test(v))) fail("has an invalid value");
      out.push({ key: set[1]!, operator: set[2] === "in" ? "In" : "NotIn", values });
      continue;
    }
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(t);
    if (eq) {
      if (!KEY.test(eq[1]!)) fail("has an invalid key");
      if (!VALUE.test(eq[3]!)) fail("has an invalid value");
      out.push({ key: eq[1]!, operator: eq[2] === "!=" ? "NotIn" : "In", values: [eq[3]!] });
      continue;
    }
    const not = /^!\s*(\S+)$/.exec(t);
    if (not) {
      if (!KEY.test(not[1]!)) fail("has an invalid key");
      out.push({ key: not[1]!, operator: "DoesNotExist" });
      continue;
    }
    if (!KEY.test(t)) fail("is not a label selector term (key, !key, key=value, key!=value, key in (a,b), key notin (a,b))");
    out.push({ key: t, operator: "Exists" });
  }
  return out;
}

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}
