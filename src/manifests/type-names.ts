/**
 * Names derived from a type when the user did not give them: the plural used in URLs, CRD names
 * and RBAC rules. Built-in kinds always know theirs.
 */
import type { K8sType } from "../core/k8s-type.js";
import { builtinFor } from "../core/builtin-types.js";

/** English plural of a lower-cased kind, the way kubebuilder guesses it ("policy" → "policies"). */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The plural of a type: declared, built-in, or guessed from the kind. */
export function pluralOf(type: K8sType): string {
  return type.plural ?? builtinFor(type.apiVersion, type.kind)?.type.plural ?? guessPlural(type.kind);
}

/** Whether the type is namespaced: declared, built-in, else namespaced (the CRD default we generate). */
export function isNamespaced(type: K8sType): boolean {
  return type.namespaced ?? builtinFor(type.apiVersion, type.kind)?.type.namespaced ?? true;
}

/** true for kinds Kubernetes serves itself (no CRD to generate). */
export function isBuiltin(type: K8sType): boolean {
  return (
    builtinFor(type.apiVersion, type.kind) !== undefined || type.group === "" || type.group.endsWith(".k8s.io") || !type.group.includes(".")
  );
}
