/**
 * Ordering of resourceVersions.
 *
 * The API server documents resourceVersions as opaque strings, but on every etcd-backed server
 * they are etcd revisions written in decimal: comparing them as numbers is what lets a cache drop
 * a watch event that is older than a write's response it already holds. When either side is not
 * a plain decimal string we cannot order them, and the caller must treat the newer-looking one as
 * newer (accept it) rather than risk keeping stale data forever.
 */

const DECIMAL = /^\d+$/;

/**
 * Compares two resourceVersions.
 * Returns a negative number when `a` is older than `b`, 0 when equal, a positive number when
 * `a` is newer, and `undefined` when they cannot be ordered (missing or not decimal).
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a === b) return 0;
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return undefined;
  // BigInt: etcd revisions are int64 and may exceed Number.MAX_SAFE_INTEGER.
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True only when both versions are ordered and `candidate` is strictly older than `current`. */
export function isOlderResourceVersion(candidate: string | undefined, current: string | undefined): boolean {
  const order = compareResourceVersions(candidate, current);
  return order !== undefined && order < 0;
}
