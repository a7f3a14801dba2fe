/**
 * `K8sType`: the identity of a Kubernetes resource type (apiVersion + kind), plus what discovery
 * knows about it (plural, scope) when that is known.
 */

/** Any class; the registry maps classes to resource types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = unknown> = abstract new (...args: any[]) => T;

/** Scope and plural of a type, when known (built-ins know them; discovery fills in the rest). */
export interface K8sTypeDetails {
  /** Lower-case plural used in URLs, e.g. "deployments". */
  readonly plural?: string;
  /** true for namespaced kinds, false for cluster-scoped ones. */
  readonly namespaced?: boolean;
}

/**
 * A resource type. Two `K8sType`s are the same type when apiVersion and kind are equal
 * (see {@link K8sType.key}); plural and scope are details that may be unknown until discovery.
 *
 * ```ts
 * const deployments = K8sType.of("apps/v1", "Deployment", { plural: "deployments", namespaced: true });
 * deployments.group;   // "apps"
 * ```
 */
export class K8sType implements K8sTypeDetails {
  /** "v1" for the core group, otherwise "group/version". */
  readonly apiVersion: string;
  readonly kind: string;
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural?: string;
  readonly namespaced?: boolean;

  private constructor(apiVersion: string, kind: string, details: K8sTypeDetails) {
    const problem = K8sType.problemWith(apiVersion, kind);
    if (problem) throw new TypeError(problem);
    const slash = apiVersion.indexOf("/");
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.group = slash < 0 ? "" : apiVersion.slice(0, slash);
    this.version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    if (details.plural !== undefined) this.plural = details.plural;
    if (details.namespaced !== undefined) this.namespaced = details.namespaced;
    Object.freeze(this);
  }

  /** Makes a type; throws a TypeError naming the fix when apiVersion or kind is malformed. */
  static of(apiVersion: string, kind: string, details: K8sTypeDetails = {}): K8sType {
    return new K8sType(apiVersion, kind, details);
  }

  /** Accepts a `K8sType` or any `{ apiVersion, kind, plural?, namespaced? }` object. */
  static from(like: K8sTypeLike): K8sType {
    return like instanceof K8sType ? like : new K8sType(like.apiVersion, like.kind, like);
  }

  /** The map key of a type: `"apps/v1/Deployment"`, `"v1/Pod"`. */
  static keyOf(apiVersion: string, kind: string): string {
    return `${apiVersion}/${kind}`;
  }

  /** Returns why apiVersion/kind cannot name a type, or undefined when they can. */
  static problemWith(apiVersion: unknown, kind: unknown): string | undefined {
    if (typeof apiVersion !== "string" || !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]+$/.test(apiVersion)) {
      return `invalid apiVersion ${JSON.stringify(apiVersion)}: use "v1" for the core group or "group/version", e.g. "apps/v1" or "example.com/v1"`;
    }
    if (typeof kind !== "string" || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) {
      return `invalid kind ${JSON.stringify(kind)}: use the CamelCase kind name as in the resource's YAML, e.g. "Deployment"`;
    }
    return undefined;
  }

  /** Identity key; equal for equal (apiVersion, kind) whatever plural and scope say. */
  get key(): string {
    return K8sType.keyOf(this.apiVersion, this.kind);
  }

  /** true when plural and scope are both known (what a URL needs). */
  get isResolved(): boolean {
    return this.plural !== undefined && this.namespaced !== undefined;
  }

  /** The same type with plural and/or scope filled in (from discovery, say). */
  withDetails(details: K8sTypeDetails): K8sType {
    return new K8sType(this.apiVersion, this.kind, {
      plural: details.plural ?? this.plural,
      namespaced: details.namespaced ?? this.namespaced,
    });
  }

  /** Same apiVersion and kind. */
  equals(other: { apiVersion: string; kind: string }): boolean {
    return this.apiVersion === other.apiVersion && this.kind === other.kind;
  }

  /** `"apps/v1 Deployment"`, for messages. */
  toString(): string {
    return `${this.apiVersion} ${this.kind}`;
  }
}

/** Anything that names a type by apiVersion and kind. */
export interface K8sTypeLike extends K8sTypeDetails {
  readonly apiVersion: string;
  readonly kind: string;
}
