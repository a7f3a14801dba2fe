/**
 * Injection tokens of what the runtime lends to operators and their services. The runtime's
 * `Metrics`, `KubeConfig` and `OperatorEvents` are classes and inject by type; the logger is an
 * interface, so it needs this token (tsyringe: `@inject(TSOPERATOR_LOGGER)`, Nest: `@Inject(TSOPERATOR_LOGGER)`).
 */

/**
 * The runtime's `Logger` (a winston logger; `log.child({ ... })` adds fields).
 *
 * ```ts
 * @injectable()
 * class Backups {
 *   constructor(@inject(TSOPERATOR_LOGGER) private readonly log: Logger) {}
 * }
 * ```
 */
export const TSOPERATOR_LOGGER: unique symbol = Symbol.for("tsoperator:logger");
