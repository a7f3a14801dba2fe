/**
 * The benchmark workload, in one place: names, labels and the three children every peer derives
 * from a BenchParent. The harness checks convergence against exactly these objects; the Node
 * peers build their writes from them. The Go peers mirror them (bench/peers/*\/main.go).
 */

/** API group/version of the parent resource (bench/crd.yaml). */
export const PARENT_API_VERSION = "bench.tsoperator.dev/v1";
/** Kind of the parent resource. */
export const PARENT_KIND = "BenchParent";
/** Plural of the parent resource, as URLs name it. */
export const PARENT_PLURAL = "benchparents";
/** Finalizer every operator peer adds to a parent and removes on delete (W4). */
export const FINALIZER = "bench.tsoperator.dev/cleanup";
/** Label carrying the parent's uid on every child. */
export const TRACKING_LABEL = "tsoperator.dev/parent-uid";
/** Annotation on the Service carrying the payload (so a spec change changes the Service too). */
export const PAYLOAD_ANNOTATION = "bench.tsoperator.dev/payload";
/** Annotation the tsoperator peer reads only with `--faults` (bench/faults): `hang` makes the parent's sync never return. */
export const FAULT_ANNOTATION = "bench.tsoperator.dev/fault";
/** Number of children per parent. */
export const CHILDREN_PER_PARENT = 3;

/** The fields of a parent the workload reads. */
export interface ParentRef {
  name: string;
  namespace: string;
  uid: string;
  payload: string;
}

/** Wire-format object (plain JSON). */
export type WireObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** Name of a parent by index, e.g. `p-00042`. */
export function parentName(index: number): string {
  return `p-${String(index).padStart(5, "0")}`;
}

/** The payload a parent gets at creation (W1) and after the spec change (W3). */
export function payloadFor(name: string, round: 1 | 2): string {
  return round === 1 ? `${name}-first` : `${name}-second`;
}

/** The parent object the harness creates. */
export function parentObject(namespace: string, name: string): WireObject {
  return {
    apiVersion: PARENT_API_VERSION,
    kind: PARENT_KIND,
    metadata: { name, namespace },
    spec: { payload: payloadFor(name, 1) },
  };
}

function childMeta(p: ParentRef, name: string): Record<string, unknown> {
  return {
    name,
    namespace: p.namespace,
    labels: { [TRACKING_LABEL]: p.uid },
    ownerReferences: [
      { apiVersion: PARENT_API_VERSION, kind: PARENT_KIND, name: p.name, uid: p.uid, controller: true, blockOwnerDeletion: true },
    ],
  };
}

/** ConfigMap `<parent>-a`: holds the payload. */
export function configMapA(p: ParentRef): WireObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: childMeta(p, `${p.name}-a`), data: { payload: p.payload } };
}

/** ConfigMap `<parent>-b`: holds the payload upper-cased. */
export function configMapB(p: ParentRef): WireObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMeta(p, `${p.name}-b`),
    data: { "payload-upper": p.payload.toUpperCase() },
  };
}

// Read once: service() runs on every sync of the tsoperator peer, the process being measured.
const HEADLESS_SERVICES = process.env.BENCH_HEADLESS_SERVICES === "1";

/**
 * `BENCH_HEADLESS_SERVICES=1`: every peer (they inherit the harness's environment) writes its
 * Services with `clusterIP: None`. A variant for the scale question only: since Kubernetes 1.33 the
 * API server allocates a ClusterIP by creating an IPAddress object and then counts every allocated
 * address twice for its metrics (ipallocator.go `createIPAddress` → `Used()`, `Free()`), so each
 * Service create costs it O(Services) and W1b grows quadratically with P for every peer alike.
 * Headless Services take that step out, which shows how the rest grows. Off by default: the
 * workload stays what it was.
 */
export function headlessServices(): boolean {
  return HEADLESS_SERVICES;
}

/** Service `<parent>`: ClusterIP, port 80 -> 8080, payload in an annotation. */
export function service(p: ParentRef): WireObject {
  const meta = childMeta(p, p.name);
  meta.annotations = { [PAYLOAD_ANNOTATION]: p.payload };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta,
    spec: {
      type: "ClusterIP",
      ...(headlessServices() ? { clusterIP: "None" } : {}),
      selector: { "bench.tsoperator.dev/parent": p.name },
      ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }],
    },
  };
}

/** The three desired children of a parent. */
export function childrenOf(p: ParentRef): WireObject[] {
  return [configMapA(p), configMapB(p), service(p)];
}

/** The desired status of a parent at a generation. */
export function statusFor(generation: number): { observedGeneration: number; childCount: number } {
  return { observedGeneration: generation, childCount: CHILDREN_PER_PARENT };
}
