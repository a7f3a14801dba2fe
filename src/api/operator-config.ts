/**
 * `OperatorConfig`: everything the runtime needs to know about one operator, as plain data.
 * Built with roperator's builder or compiled from `@Operator`; the runtime reads only this.
 */
import { scopeProblems } from "./scope.js";
import { DEFAULT_BACKOFF, backoffConfig, backoffProblems, type BackoffConfig } from "../core/backoff.js";
import { OperatorDefinitionError } from "../core/errors.js";
import type { Constructor, K8sType } from "../core/k8s-type.js";
import { resolveTypeRef, type TypeRef } from "../core/type-ref.js";
import { ChildConfig, UpdateStrategy } from "../core/update-strategy.js";
import { indexProblems, relatedProblems, relatedTypeConfig } from "./related-config.js";
import type { IndexDefinition, RelatedOptions, RelatedTypeConfig } from "./related.js";

/** One child type of an operator, as the runtime reads it. */
export interface ChildTypeConfig {
  readonly type: K8sType;
  /** The class views convert to (a client-node model or a @KubernetesType class), if given. */
  readonly cls?: Constructor;
  readonly updateStrategy: UpdateStrategy;
  /** Take over a same-named object that no one controls instead of reporting a conflict (absent: false). */
  readonly adopt?: true;
}

/**
 * One RBAC rule, as Roles and ClusterRoles hold it. An operator declares the extra rules its
 * handler's own API calls need (`rbac` in `@Operator`, `withRbac` on `OperatorConfig`);
 * `tsoperator manifests` adds them to the rules the runtime itself needs.
 */
export interface PolicyRule {
  /** API groups, "" for the core group, e.g. `["apps"]`. */
  apiGroups: string[];
  /** Resources (plural), optionally with a subresource: `["deployments", "deployments/scale"]`. */
  resources: string[];
  /** Verbs, e.g. `["get", "delete"]`. */
  verbs: string[];
  /** Restricts the rule to these object names. */
  resourceNames?: string[];
}

/** Why `rule` is not a valid extra RBAC rule, or undefined when it is one. */
function policyRuleProblem(rule: PolicyRule, index: number): string | undefined {
  const strings = (v: unknown, allowEmptyString: boolean) =>
    Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && (allowEmptyString || s.length > 0));
  const ok =
    rule !== null &&
    typeof rule === "object" &&
    strings(rule.apiGroups, true) &&
    strings(rule.resources, false) &&
    strings(rule.verbs, false) &&
    (rule.resourceNames === undefined || strings(rule.resourceNames, false));
  return ok
    ? undefined
    : `rbac[${index}] ${JSON.stringify(rule)} is not an RBAC rule: give non-empty apiGroups ("" for the core group), resources and verbs, ` +
        `e.g. { apiGroups: ["example.com"], resources: ["widgets"], verbs: ["delete"] }`;
}

/** Defaults of the settings a user may leave out. */
export const OPERATOR_DEFAULTS = Object.freeze({
  /** A handler call is abandoned (and retried with backoff) after this long. */
  handlerTimeoutMs: 60_000,
  /** Parents synced in parallel at most. */
  concurrency: 8,
  /** Prefix of the default finalizer name: `tsoperator.dev/<operator name>`. */
  finalizerDomain: "tsoperator.dev",
  /**
   * Every parent is synced at least this often (minus up to 10 % jitter) even without events:
   * 10 hours, controller-runtime's SyncPeriod. A safety net for a missed event or an outside
   * change no watch reports, not a polling interval; `withResyncPeriod(0)` turns it off.
   */
  resyncPeriodMs: 10 * 60 * 60 * 1000,
  /**
   * The condition in `status.conditions` that shows each sync's outcome, written by default for a
   * parent declared with `@CustomResource` (its generated CRD keeps `conditions`); `withStatusCondition`
   * turns it on for other parents or off.
   */
  statusCondition: "Synced",
});

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN_WITH_DOT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** metav1.Condition's type: an optional DNS subdomain prefix and a qualified name, at most 316 characters. */
const CONDITION_TYPE =
  /^(?=.{1,316}$)([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Why `name` is not a domain-qualified finalizer name, or undefined when it is one. */
export function finalizerNameProblem(name: string): string | undefined {
  const slash = name.indexOf("/");
  const prefix = name.slice(0, Math.max(slash, 0));
  const rest = name.slice(slash + 1);
  if (slash < 0 || !DNS1123_SUBDOMAIN_WITH_DOT.test(prefix) || prefix.length > 253 || !QUALIFIED_NAME_PART.test(rest) || rest.length > 63) {
    return `finalizer name ${JSON.stringify(name)} must be domain-qualified, "<your domain>/<name>", e.g. "example.com/cleanup"`;
  }
  return undefined;
}

/** Why `key` cannot be the tracking label, or undefined when it can. */
function labelKeyProblem(key: string): string | undefined {
  if (key === "app.kubernetes.io/instance") {
    return 'trackingLabel must not be "app.kubernetes.io/instance": Helm sets it too, and the two would fight over children';
  }
  const slash = typeof key === "string" ? key.lastIndexOf("/") : -1;
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  const ok =
    typeof key === "string" &&
    QUALIFIED_NAME_PART.test(name) &&
    name.length <= 63 &&
    (prefix === undefined || ((DNS1123_SUBDOMAIN_WITH_DOT.test(prefix) || DNS1123_LABEL.test(prefix)) && prefix.length <= 253));
  return ok
    ? undefined
    : `trackingLabel ${JSON.stringify(key)} is not a label key: use "<your domain>/<name>", e.g. "example.com/parent-uid"`;
}

type Settings = {
  -readonly [K in keyof OperatorConfig as OperatorConfig[K] extends Function ? never : K]: OperatorConfig[K];
};

/**
 * The configuration of one operator (roperator's builder). Immutable: every `with*` method
 * returns a new config.
 *
 * ```ts
 * const config = new OperatorConfig("echo-server", EchoServer)
 *   .withChild(V1Pod, ChildConfig.recreate())
 *   .withChild(V1Service)
 *   .withinNamespace("demo")
 *   .withHandlerTimeout(30_000);
 * ```
 */
export class OperatorConfig {
  /** The operator's name, a DNS-1123 label; used for the field manager and the finalizer. */
  readonly name: string;
  /** The parent (watched) type. */
  readonly parent: K8sType;
  /** The parent's class, when declared by class. */
  readonly parentClass?: Constructor;
  /** The child types, in declaration order. */
  readonly children: readonly ChildTypeConfig[] = [];
  /** Watch and manage only this namespace (all namespaces when undefined). */
  readonly namespace?: string;
  /**
   * Watch and manage only these namespaces: one list+watch per namespace, never cluster-wide
   * (with `namespace`, the union of both). Namespaced parents only.
   */
  readonly namespaces?: readonly string[];
  /** Watch and manage only the parents this label selector matches, e.g. `"shard=a,tier!=test"`. */
  readonly labelSelector?: string;
  /** A sync/finalize call is abandoned after this many ms. */
  readonly handlerTimeoutMs: number = OPERATOR_DEFAULTS.handlerTimeoutMs;
  /** Parents synced in parallel at most. */
  readonly concurrency: number = OPERATOR_DEFAULTS.concurrency;
  /**
   * Sync every parent at least this often (ms) even without events; undefined: the default
   * (`OPERATOR_DEFAULTS.resyncPeriodMs`, 10 h); 0: only on events.
   */
  readonly resyncPeriodMs?: number;
  /** Per-parent retry delays after failed syncs. */
  readonly backoff: BackoffConfig = DEFAULT_BACKOFF;
  /** Whether parents get a finalizer (set when the operator has a finalize handler). */
  readonly finalizeEnabled: boolean = false;
  /** Extra RBAC rules for the handler's own API calls; `tsoperator manifests` grants them too. */
  readonly rbac: readonly PolicyRule[] = [];
  /** Related types: read, selected per parent into `req.related`, never written (see `withRelated`). */
  readonly related: readonly RelatedTypeConfig[] = [];
  /** User-facing indexes, read with `req.lookup` (see `withIndex`). */
  readonly indexes: readonly IndexDefinition[] = [];
  /**
   * The label that ties children to their parent (value: the parent's uid). Default
   * `tsoperator.dev/parent-uid`; never `app.kubernetes.io/instance`, which Helm sets too.
   */
  readonly trackingLabel?: string;
  /**
   * The condition type in `status.conditions` showing each sync's outcome (True, or False with the
   * error); `false`: none. Undefined: `OPERATOR_DEFAULTS.statusCondition` when the parent class is a
   * `@CustomResource`, none otherwise (another project's CRD may prune the field; a built-in kind
   * may have no status to write).
   */
  readonly statusCondition?: string | false;
  private readonly customFinalizerName?: string;
  private readonly customFieldManager?: string;

  /** A config for operator `name` watching `parent` (a K8sType, a model class or a @KubernetesType class). */
  constructor(name: string, parent: TypeRef) {
    const resolved = resolveTypeRef(parent);
    this.name = name;
    this.parent = resolved.type;
    if (resolved.cls) this.parentClass = resolved.cls;
    Object.freeze(this);
  }

  /** The finalizer added to parents: `tsoperator.dev/<name>` unless set with `withFinalizer`. */
  get finalizerName(): string {
    return this.customFinalizerName ?? `${OPERATOR_DEFAULTS.finalizerDomain}/${this.name}`;
  }

  /** The server-side apply field manager: the operator's name unless set. */
  get fieldManager(): string {
    return this.customFieldManager ?? this.name;
  }

  /** Adds a child type (default strategy: Apply). */
  withChild(type: TypeRef, config: ChildConfig = ChildConfig.apply()): OperatorConfig {
    const resolved = resolveTypeRef(type);
    const child: ChildTypeConfig = Object.freeze({
      type: resolved.type,
      ...(resolved.cls ? { cls: resolved.cls } : {}),
      updateStrategy: config.updateStrategy,
      ...(config.adopt ? { adopt: true as const } : {}),
    });
    return this.copy({ children: Object.freeze([...this.children, child]) });
  }

  /** Restricts the operator to one namespace. */
  withinNamespace(namespace: string | undefined): OperatorConfig {
    return this.copy({ namespace });
  }

  /** Restricts the operator to these namespaces (undefined: lifts the restriction). */
  withinNamespaces(namespaces: readonly string[] | undefined): OperatorConfig {
    return this.copy({ namespaces: namespaces === undefined ? undefined : Object.freeze([...namespaces]) });
  }

  /** Restricts the operator to the parents `selector` matches (undefined: every parent). */
  withLabelSelector(selector: string | undefined): OperatorConfig {
    return this.copy({ labelSelector: selector });
  }

  /** Abandons a handler call after `ms` milliseconds (it is then retried with backoff). */
  withHandlerTimeout(ms: number): OperatorConfig {
    return this.copy({ handlerTimeoutMs: ms });
  }

  /** Syncs at most `n` parents in parallel. */
  withConcurrency(n: number): OperatorConfig {
    return this.copy({ concurrency: n });
  }

  /** Syncs every parent at least every `ms` milliseconds (undefined: the 10 h default; 0: only on events). */
  withResyncPeriod(ms: number | undefined): OperatorConfig {
    return this.copy({ resyncPeriodMs: ms });
  }

  /** Per-parent retry delays after failures (unset fields keep roperator's defaults). */
  withBackoff(backoff: Partial<BackoffConfig>): OperatorConfig {
    return this.copy({ backoff: backoffConfig(backoff) });
  }

  /**
   * Enables (or disables) the finalizer, optionally with a domain-qualified name other than
   * `tsoperator.dev/<name>`. `compileOperator`/`defineOperator` enable it when a finalize handler exists.
   */
  withFinalizer(enabled = true, finalizerName?: string): OperatorConfig {
    return this.copy({
      finalizeEnabled: enabled,
      ...(finalizerName !== undefined ? { customFinalizerName: finalizerName } : {}),
    } as Partial<Settings>);
  }

  /**
   * Adds RBAC rules for what the handler calls itself (the runtime's own needs are derived from
   * the config); `tsoperator manifests` puts them into the operator's role.
   *
   * ```ts
   * config.withRbac([{ apiGroups: ["example.com"], resources: ["widgets"], verbs: ["delete"] }])
   * ```
   */
  withRbac(rules: readonly PolicyRule[]): OperatorConfig {
    return this.copy({ rbac: Object.freeze([...this.rbac, ...rules.map((r) => Object.freeze({ ...r }))]) });
  }

  /**
   * Adds a related type: objects the handler reads but never writes, selected per parent by name,
   * by label selector, or by a map from a related object to its parents (exactly one of `names`,
   * `selector`, `parentsOf`). They arrive in `req.related`; a change to one syncs the parents that
   * selected it. `cache` limits what is cached (label/field selector, metadata only, transform).
   *
   * ```ts
   * config.withRelated(V1Secret, { names: (db: Database) => db.spec.secretRef.name, cache: { labelSelector: "app=db" } })
   * ```
   */
  withRelated(type: TypeRef, options: Omit<RelatedOptions, "type">): OperatorConfig {
    return this.copy({ related: Object.freeze([...this.related, relatedTypeConfig(type, options)]) });
  }

  /** Adds a user-facing index (made with `index(type, name, keys)`), read with `req.lookup(index, key)`. */
  withIndex(definition: IndexDefinition): OperatorConfig {
    return this.copy({ indexes: Object.freeze([...this.indexes, definition]) });
  }

  /**
   * Sets the label that ties children to their parent (default `tsoperator.dev/parent-uid`).
   * Children written under another label are found again (labelled anew) on their parent's next sync.
   */
  withTrackingLabel(label: string | undefined): OperatorConfig {
    return this.copy({ trackingLabel: label });
  }

  /**
   * Shows each sync's outcome on the parent as a condition of this type in `status.conditions`
   * (`false`: none; undefined: the default, see `statusCondition`). The parent's CRD must have a
   * status subresource and keep `status.conditions`.
   */
  withStatusCondition(type: string | false | undefined): OperatorConfig {
    return this.copy({ statusCondition: type });
  }

  /** Sets the server-side apply field manager (default: the operator's name). */
  withFieldManager(fieldManager: string): OperatorConfig {
    return this.copy({ customFieldManager: fieldManager } as Partial<Settings>);
  }

  /** The config of a child type, by apiVersion and kind. */
  childType(apiVersion: string, kind: string): ChildTypeConfig | undefined {
    return this.children.find((c) => c.type.apiVersion === apiVersion && c.type.kind === kind);
  }

  /** Every problem of this config, one sentence each saying how to fix it (empty when valid). */
  problems(): string[] {
    const p: string[] = [];
    if (typeof this.name !== "string" || !DNS1123_LABEL.test(this.name) || this.name.length > 63) {
      p.push(
        `invalid name ${JSON.stringify(this.name)}: an operator name must be a DNS-1123 label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), e.g. "echo-server"`,
      );
    } else {
      const problem = finalizerNameProblem(this.finalizerName);
      if (problem) p.push(problem);
    }
    const seen = new Set<string>();
    for (const child of this.children) {
      if (seen.has(child.type.key)) p.push(`child type ${child.type} is listed twice: list each child type once, with one update strategy`);
      seen.add(child.type.key);
      if (child.type.equals(this.parent))
        p.push(`${child.type} is both the parent and a child type: an operator's children must be of other types`);
      if (this.parent.namespaced === true && child.type.namespaced === false) {
        p.push(
          `child type ${child.type} is cluster-scoped but the parent ${this.parent} is namespaced: Kubernetes does not let a namespaced object own a cluster-scoped one; make the parent cluster-scoped or drop this child type`,
        );
      }
    }
    if (this.namespace !== undefined) {
      if (!DNS1123_LABEL.test(this.namespace) || this.namespace.length > 63)
        p.push(`invalid namespace ${JSON.stringify(this.namespace)}: a namespace is a DNS-1123 label, e.g. "default"`);
      else if (this.parent.namespaced === false)
        p.push(`withinNamespace("${this.namespace}") was set but the parent ${this.parent} is cluster-scoped: remove the namespace option`);
    }
    p.push(...scopeProblems(this.namespaces, this.labelSelector, this.parent.namespaced));
    if (!(Number.isFinite(this.handlerTimeoutMs) && this.handlerTimeoutMs > 0))
      p.push(`handlerTimeoutMs must be a positive number of milliseconds (got ${this.handlerTimeoutMs})`);
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1))
      p.push(`concurrency must be a whole number >= 1 (got ${this.concurrency})`);
    if (this.resyncPeriodMs !== undefined && !(Number.isFinite(this.resyncPeriodMs) && this.resyncPeriodMs >= 0)) {
      p.push(
        `resyncPeriodMs must be a positive number of milliseconds, 0 for no periodic resync, or left out for the 10 h default (got ${this.resyncPeriodMs})`,
      );
    }
    if (typeof this.fieldManager !== "string" || this.fieldManager.length === 0 || this.fieldManager.length > 128) {
      p.push(`fieldManager must be 1 to 128 characters (got ${JSON.stringify(this.fieldManager)})`);
    }
    if (this.trackingLabel !== undefined) {
      const problem = labelKeyProblem(this.trackingLabel);
      if (problem) p.push(problem);
    }
    if (this.statusCondition !== undefined && this.statusCondition !== false && !CONDITION_TYPE.test(String(this.statusCondition))) {
      p.push(
        `statusCondition ${JSON.stringify(this.statusCondition)} is not a condition type: use a CamelCase name such as "Synced" (optionally "<your domain>/Synced"), or false for none`,
      );
    }
    p.push(...backoffProblems(this.backoff));
    this.rbac.forEach((rule, i) => {
      const problem = policyRuleProblem(rule, i);
      if (problem) p.push(problem);
    });
    p.push(...relatedProblems(this.related), ...indexProblems(this.indexes));
    return p;
  }

  /** Throws `OperatorDefinitionError` listing every problem; returns this config when valid. */
  validate(): this {
    const problems = this.problems();
    if (problems.length > 0) throw new OperatorDefinitionError(`operator "${this.name}"`, problems);
    return this;
  }

  private copy(changes: Partial<Settings>): OperatorConfig {
    const next = Object.create(OperatorConfig.prototype) as OperatorConfig;
    Object.assign(next, this, changes);
    return Object.freeze(next) as OperatorConfig;
  }
}
