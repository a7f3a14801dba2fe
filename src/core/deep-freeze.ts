/** Freezing an object graph, shared by the places that hand out objects nobody may change. */

/**
 * Freezes `value` and everything it holds, in place; returns it. An object already frozen is taken
 * as done (its contents were frozen with it), so freezing an object graph twice costs one check.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
