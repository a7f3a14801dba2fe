/**
 * URL building for the Kubernetes REST API: core kinds live under `/api/v1`, every group under
 * `/apis/<group>/<version>`; namespaced resources insert `/namespaces/<ns>`.
 */
import type { ResourceType } from "../core/kube-object.js";

/** Splits an apiVersion ("v1", "apps/v1") into group ("" for core) and version. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  if (slash < 0) return { group: "", version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The discovery path of a group-version: `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group === "" ? `/api/${encodeURIComponent(version)}` : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`;
}

/**
 * The path of a collection or of one object, e.g. `/apis/apps/v1/namespaces/ns/deployments/web/status`.
 * A namespace given for a cluster-scoped type is ignored (the object has none); a namespaced
 * type without namespace addresses the collection across all namespaces (list and watch only).
 */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let path = groupVersionPath(type.apiVersion);
  if (type.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${type.plural}`;
  if (name !== undefined) {
    if (name === "") throw new Error(`an object of ${type.kind} needs a name (metadata.name is empty)`);
    path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
  } else if (subresource) {
    throw new Error(`subresource "${subresource}" needs an object name`);
  }
  return path;
}

/** Query parameter values: undefined and false-y optional flags are left out by the caller. */
export type QueryValue = string | number | boolean | undefined;

/** Builds `?a=1&b=x` from the defined values (empty string when none); keys keep their order. */
export function queryString(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    search.append(key, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** The path of an object, taking namespace and name from its metadata. */
export function objectPath(type: ResourceType, obj: { metadata?: { namespace?: string; name?: string } }, subresource?: string): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`an object of ${type.kind} needs metadata.name`);
  if (type.namespaced && !obj.metadata?.namespace) {
    throw new Error(`${type.kind} ${name} is namespaced and needs metadata.namespace`);
  }
  return resourcePath(type, obj.metadata?.namespace, name, subresource);
}

/** The kind of a list's items: "ConfigMapList" -> "ConfigMap". */
export function itemKindOfList(listKind: string | undefined): string | undefined {
  if (!listKind) return undefined;
  return listKind.endsWith("List") ? listKind.slice(0, -"List".length) : listKind;
}

/**
 * A low-cardinality form of a request path for metrics: namespace and object names become
 * placeholders, e.g. `/api/v1/namespaces/{namespace}/configmaps/{name}/status`.
 */
export function pathTemplate(path: string): string {
  const clean = path.split("?")[0] ?? path;
  const segments = clean.split("/").filter((s) => s !== "");
  let prefix: number;
  if (segments[0] === "api") prefix = 2;
  else if (segments[0] === "apis") prefix = 3;
  else return clean === "" ? "/" : clean;
  if (segments.length <= prefix) return "/" + segments.join("/");
  const head = segments.slice(0, prefix);
  const rest = segments.slice(prefix);
  const out: string[] = [];
  let i = 0;
  if (rest[0] === "namespaces" && rest.length >= 2) {
    out.push("namespaces", "{namespace}");
    i = 2;
    if (rest.length === 2) return "/" + [...head, "namespaces", "{name}"].join("/");
  }
  if (i < rest.length) out.push(rest[i] as string); // the plural
  if (i + 1 < rest.length) out.push("{name}");
  out.push(...rest.slice(i + 2));
  return "/" + [...head, ...out].join("/");
}
