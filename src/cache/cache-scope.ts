/**
 * How one informer's cache is named among the caches of its type: its namespace, label selector
 * and cache options (field selector, metadata only, a related type's transform). Two informers of
 * one pool never share a name (the pool keys them by the same fields), so the name tells them apart
 * in runnable names, readiness messages and the `cache` label of `tsoperator_informer_objects`.
 * Pure: no I/O; bounded by the scopes an operator declares (no per-object or random parts).
 */

/** Which objects of a type an informer holds, and in what form (`Informer.scope`). */
export interface CacheScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  metadataOnly?: boolean;
  variant?: string;
}

/**
 * The scope as text, `in <ns> (<label selector>) [fields <selector>, metadata only, <variant>]`
 * with absent parts left out; "" for every object of the type in every namespace.
 */
export function cacheScopeText(scope: CacheScope): string {
  // Related types' cache options are part of the name: two caches of one type must not share it.
  const extras = [
    scope.fieldSelector ? `fields ${scope.fieldSelector}` : "",
    scope.metadataOnly ? "metadata only" : "",
    scope.variant ?? "",
  ]
    .filter(Boolean)
    .join(", ");
  return [
    scope.namespace ? `in ${scope.namespace}` : "",
    scope.labelSelector ? `(${scope.labelSelector})` : "",
    extras ? `[${extras}]` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** The `cache` label of an informer's metrics: its scope text, or "all" for an unscoped cache. */
export function cacheLabel(scope: CacheScope): string {
  return cacheScopeText(scope) || "all";
}
