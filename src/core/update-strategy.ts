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
 * ```
 */
export class ChildConfig {
  private constructor(readonly updateStrategy: UpdateStrategy) {
    Object.freeze(this);
  }

  /** Options with the given strategy. */
  static of(updateStrategy: UpdateStrategy = UpdateStrategy.Apply): ChildConfig {
    if (!Object.values(UpdateStrategy).includes(updateStrategy)) {
      throw new TypeError(
        `unknown update strategy ${JSON.stringify(updateStrategy)}: use one of ${Object.values(UpdateStrategy).join(", ")}`,
      );
    }
    return new ChildConfig(updateStrategy);
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
