/** How the runtime brings an existing child in line with the desired one, per child type. */

/** What to do when a child exists but differs from what the handler returned. */
export enum UpdateStrategy {
  /** Server-side apply with the operator's field manager (the default). */
  Apply = "Apply",
  /** PUT of the whole object (fields the handler leaves out are removed). */
  Replace = "Replace",
  /** Delete the child; it is created again on a later sync. */
  Recreate = "Recreate",
  /** Create the child when it is missing, never update it. */
  OnDelete = "OnDelete",
}

/**
 * Per-child-type options for `OperatorConfig.withChild` (roperator's `ChildConfig`).
 *
 * ```ts
 * new OperatorConfig("echo-server", EchoServer).withChild(V1Pod, ChildConfig.recreate())
 * new OperatorConfig("db", Database).withChild(V1Secret, ChildConfig.onDelete().adopting())
 * ```
 */
export class ChildConfig {
  private constructor(
    readonly updateStrategy: UpdateStrategy,
    /** Whether a same-named object no one controls is taken over (see `adopting`). */
    readonly adopt: boolean = false,
  ) {
    Object.freeze(this);
  }

  /** Options with the given strategy; `adopt`: see `adopting()` (default false). */
  static of(updateStrategy: UpdateStrategy = UpdateStrategy.Apply, options: { readonly adopt?: boolean } = {}): ChildConfig {
    if (!Object.values(UpdateStrategy).includes(updateStrategy)) {
      throw new TypeError(
        `unknown update strategy ${JSON.stringify(updateStrategy)}: use one of ${Object.values(UpdateStrategy).join(", ")}`,
      );
    }
    if (options.adopt !== undefined && typeof options.adopt !== "boolean") {
      throw new TypeError(`adopt must be true or false, not ${JSON.stringify(options.adopt)}`);
    }
    return new ChildConfig(updateStrategy, options.adopt ?? false);
  }

  /**
   * The same options, taking over a same-named object that exists and that no one controls (no
   * controller ownerReference): it gets the tracking labels and a controller ownerReference, then
   * is brought in line like any child. Without it such an object is a conflict: a ChildConflict
   * Event, the sync fails and is retried, nothing is written to the object.
   */
  adopting(): ChildConfig {
    return new ChildConfig(this.updateStrategy, true);
  }

  /** Server-side apply (the default). */
  static apply(): ChildConfig {
    return ChildConfig.of(UpdateStrategy.Apply);
  }

  /** PUT of the whole object. */
  static replace(): ChildConfig {
    return ChildConfig.of(UpdateStrategy.Replace);
  }

  /** Delete, then create on a later sync. */
  static recreate(): ChildConfig {
    return ChildConfig.of(UpdateStrategy.Recreate);
  }

  /** Create when missing, never update. */
  static onDelete(): ChildConfig {
    return ChildConfig.of(UpdateStrategy.OnDelete);
  }
}
