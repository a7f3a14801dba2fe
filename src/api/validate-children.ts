/**
 * Pure validation of a sync handler's desired children, before anything is written. Every
 * problem of every child is collected, so that one Event tells the user all there is to fix.
 */
import type { KubeObject } from "../core/kube-object.js";
import { InvalidChildError, type ChildProblem } from "../core/errors.js";
import { K8sType } from "../core/k8s-type.js";
import { nonJsonValues } from "../core/json-check.js";

/** A child type the operator declared; `namespaced` undefined means "not known yet" (taken as namespaced). */
export interface AllowedChildType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespaced?: boolean;
}

/** What validation needs to know about the operator and the parent. */
export interface ChildValidationContext {
  /** Converts class instances to wire JSON (a `TypeRegistry`); without it only plain objects pass. */
  readonly registry?: { toWire(objOrInstance: unknown): KubeObject };
  /** The parent's namespace (undefined for a cluster-scoped parent). */
  readonly parentNamespace?: string;
  /**
   * The parent's uid: a controller ownerReference to it is the one the runtime sets anyway; one to
   * anything else is refused (an object has one controller, and the operator's child is the parent's).
   */
  readonly parentUid?: string;
  /** Whether the parent is namespaced; default: whether it has a namespace. */
  readonly parentNamespaced?: boolean;
  /** The child types of the operator. */
  readonly childTypes: readonly AllowedChildType[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks and normalizes desired children; returns them as fresh wire objects, namespaced
 * children of a namespaced parent defaulted to the parent's namespace. Throws
 * `InvalidChildError` listing every problem:
 * not an object; missing apiVersion/kind; a kind that is not a child type of this operator;
 * no metadata.name (generateName is not enough: a child's identity is its name); a namespace
 * other than a namespaced parent's; no namespace for a namespaced child of a cluster-scoped
 * parent; a namespace on a cluster-scoped child; a cluster-scoped child of a namespaced parent;
 * two children with the same (apiVersion, kind, namespace, name); a controller ownerReference to
 * anything but the parent; a value JSON cannot hold (a cycle, a BigInt, a Map or Set).
 */
export function validateDesiredChildren(children: readonly unknown[], ctx: ChildValidationContext): KubeObject[] {
  const parentNamespaced = ctx.parentNamespaced ?? Boolean(ctx.parentNamespace);
  const allowed = new Map(ctx.childTypes.map((t) => [K8sType.keyOf(t.apiVersion, t.kind), t]));
  const allowedList = ctx.childTypes.map((t) => `${t.apiVersion} ${t.kind}`).join(", ") || "none";
  const problems: ChildProblem[] = [];
  const seen = new Map<string, number>();
  const result: KubeObject[] = [];

  children.forEach((child, index) => {
    const report = (message: string, wire?: KubeObject) =>
      problems.push({
        index,
        ...(typeof wire?.apiVersion === "string" ? { apiVersion: wire.apiVersion } : {}),
        ...(typeof wire?.kind === "string" ? { kind: wire.kind } : {}),
        ...(typeof wire?.metadata?.namespace === "string" ? { namespace: wire.metadata.namespace } : {}),
        ...(typeof wire?.metadata?.name === "string" ? { name: wire.metadata.name } : {}),
        message,
      });

    if (child === null || typeof child !== "object" || Array.isArray(child)) {
      report(
        `is ${child === null ? "null" : Array.isArray(child) ? "an array" : typeof child}, not an object: return Kubernetes objects (class instances or { apiVersion, kind, metadata, ... })`,
      );
      return;
    }
    // Before converting: a cycle would overflow the stack there, a BigInt fail only at write time.
    const nonJson = nonJsonValues(child);
    if (nonJson.length > 0) {
      const named = child as { metadata?: { name?: unknown; namespace?: unknown }; apiVersion?: unknown; kind?: unknown };
      const meta = typeof named.metadata === "object" && named.metadata !== null ? named.metadata : {};
      report(`cannot be written as JSON: ${nonJson.join("; ")}`, {
        ...(typeof named.apiVersion === "string" ? { apiVersion: named.apiVersion } : {}),
        ...(typeof named.kind === "string" ? { kind: named.kind } : {}),
        metadata: {
          ...(typeof meta.name === "string" ? { name: meta.name } : {}),
          ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}),
        },
      });
      return;
    }
    let wire: KubeObject;
    try {
      if (ctx.registry) wire = ctx.registry.toWire(child);
      else if (isPlainObject(child)) wire = structuredClone(child) as KubeObject;
      else throw new Error(`an instance of ${child.constructor?.name ?? "a class"} cannot be converted without a registry`);
    } catch (e) {
      report(`cannot be converted to wire JSON: ${(e as Error).message}`);
      return;
    }

    const { apiVersion, kind } = wire;
    const hasType = typeof apiVersion === "string" && apiVersion !== "" && typeof kind === "string" && kind !== "";
    if (!hasType) {
      report(
        `has no ${typeof apiVersion !== "string" || !apiVersion ? "apiVersion" : "kind"}: every child needs apiVersion and kind, e.g. apiVersion: "v1", kind: "Pod"`,
        wire,
      );
    }
    const type = hasType ? allowed.get(K8sType.keyOf(apiVersion, kind)) : undefined;
    if (hasType && !type) {
      report(
        `${apiVersion} ${kind} is not a child type of this operator (child types: ${allowedList}): add it to the operator's children`,
        wire,
      );
    }
    if (wire.metadata !== undefined && !isPlainObject(wire.metadata)) {
      report(`metadata must be an object`, wire);
      return;
    }
    const metadata = (wire.metadata ??= {});
    if (typeof metadata.name !== "string" || metadata.name === "") {
      report(
        metadata.generateName
          ? `has generateName but no metadata.name: a child is identified by its name, so give it a fixed name (e.g. derived from the parent's)`
          : `has no metadata.name: give every child a name (e.g. derived from the parent's)`,
        wire,
      );
    }

    const foreignController = (Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences : []).find(
      (ref) => ctx.parentUid !== undefined && ref?.controller === true && ref.uid !== ctx.parentUid,
    );
    if (foreignController) {
      report(
        `sets a controller ownerReference to ${foreignController.kind} ${foreignController.name}: the operator makes the parent ` +
          "the controller of its children and an object has one controller; drop it (ownerReferences without controller: true are kept)",
        wire,
      );
    }

    if (metadata.namespace !== undefined && typeof metadata.namespace !== "string") {
      report(`metadata.namespace must be a string`, wire);
    } else if (type) {
      const childNamespaced = type.namespaced ?? true;
      const ns = metadata.namespace || undefined;
      if (!childNamespaced) {
        if (parentNamespaced) {
          report(
            `${apiVersion} ${kind} is cluster-scoped and cannot be owned by a namespaced parent: make the parent cluster-scoped or drop this child`,
            wire,
          );
        } else if (ns !== undefined) {
          report(`${apiVersion} ${kind} is cluster-scoped but has metadata.namespace "${ns}": remove the namespace`, wire);
        }
      } else if (parentNamespaced) {
        if (ns === undefined) metadata.namespace = ctx.parentNamespace;
        else if (ns !== ctx.parentNamespace) {
          report(
            `is in namespace "${ns}" but the parent is in "${ctx.parentNamespace}": children of a namespaced parent must live in its namespace (leave metadata.namespace out to default it)`,
            wire,
          );
        }
      } else if (ns === undefined) {
        report(`${apiVersion} ${kind} is namespaced and the parent is cluster-scoped: set metadata.namespace`, wire);
      }
    }

    if (hasType && typeof metadata.name === "string" && metadata.name !== "") {
      const key = `${apiVersion}/${kind}/${metadata.namespace ?? ""}/${metadata.name}`;
      const first = seen.get(key);
      if (first !== undefined)
        report(`duplicates child #${first} (same apiVersion, kind, namespace and name): return each child once`, wire);
      else seen.set(key, index);
    }
    result.push(wire);
  });

  if (problems.length > 0) throw new InvalidChildError(problems);
  return result;
}
