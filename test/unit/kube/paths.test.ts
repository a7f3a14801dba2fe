import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  groupVersionPath,
  itemKindOfList,
  objectPath,
  pathTemplate,
  queryString,
  resourcePath,
  splitApiVersion,
} from "../../../src/kube/paths.js";
import { watchPath } from "../../../src/kube/watch.js";
import type { ResourceType } from "../../../src/core/kube-object.js";

const configMaps: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
const deployments: ResourceType = {
  group: "apps",
  version: "v1",
  apiVersion: "apps/v1",
  kind: "Deployment",
  plural: "deployments",
  namespaced: true,
};
const namespaces: ResourceType = { group: "", version: "v1", apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false };

describe("URL building", () => {
  it("splits apiVersion into group and version", () => {
    assert.deepEqual(splitApiVersion("v1"), { group: "", version: "v1" });
    assert.deepEqual(splitApiVersion("apps/v1"), { group: "apps", version: "v1" });
    assert.equal(groupVersionPath("v1"), "/api/v1");
    assert.equal(groupVersionPath("example.com/v1alpha1"), "/apis/example.com/v1alpha1");
  });

  it("builds core, group, namespaced and cluster-scoped paths", () => {
    assert.equal(resourcePath(configMaps, "ns1"), "/api/v1/namespaces/ns1/configmaps");
    assert.equal(resourcePath(configMaps, undefined), "/api/v1/configmaps");
    assert.equal(resourcePath(configMaps, "ns1", "a"), "/api/v1/namespaces/ns1/configmaps/a");
    assert.equal(resourcePath(deployments, "ns1", "web", "status"), "/apis/apps/v1/namespaces/ns1/deployments/web/status");
    assert.equal(resourcePath(namespaces, "ignored", "kube-system"), "/api/v1/namespaces/kube-system");
  });

  it("escapes names and refuses empty names or a subresource without a name", () => {
    assert.equal(resourcePath(configMaps, "ns", "a b/c"), "/api/v1/namespaces/ns/configmaps/a%20b%2Fc");
    assert.throws(() => resourcePath(configMaps, "ns", ""), /needs a name/);
    assert.throws(() => resourcePath(configMaps, "ns", undefined, "status"), /needs an object name/);
  });

  it("takes namespace and name from an object and insists on the namespace of namespaced kinds", () => {
    assert.equal(
      objectPath(deployments, { metadata: { namespace: "n", name: "d" } }, "status"),
      "/apis/apps/v1/namespaces/n/deployments/d/status",
    );
    assert.throws(() => objectPath(configMaps, { metadata: { name: "x" } }), /needs metadata.namespace/);
    assert.throws(() => objectPath(configMaps, { metadata: { namespace: "n" } }), /needs metadata.name/);
  });

  it("leaves undefined query values out and encodes the rest", () => {
    assert.equal(queryString({}), "");
    assert.equal(queryString({ a: undefined }), "");
    assert.equal(
      queryString({ labelSelector: "app=web,tier in (a,b)", limit: 7, force: true }),
      "?labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29&limit=7&force=true",
    );
  });

  it("builds watch paths with bookmarks, timeout and resourceVersion", () => {
    assert.equal(
      watchPath(configMaps, { namespace: "n", allowWatchBookmarks: true, timeoutSeconds: 5, resourceVersion: "42", labelSelector: "a=b" }),
      "/api/v1/namespaces/n/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=5&resourceVersion=42&labelSelector=a%3Db",
    );
    assert.equal(watchPath(namespaces, { resourceVersion: "" }), "/api/v1/namespaces?watch=1");
  });

  it("derives item kinds from list kinds", () => {
    assert.equal(itemKindOfList("ConfigMapList"), "ConfigMap");
    assert.equal(itemKindOfList("Table"), "Table");
    assert.equal(itemKindOfList(undefined), undefined);
  });

  it("turns paths into low-cardinality templates for metrics", () => {
    assert.equal(pathTemplate("/api/v1/namespaces/ns1/configmaps/a?x=1"), "/api/v1/namespaces/{namespace}/configmaps/{name}");
    assert.equal(pathTemplate("/api/v1/namespaces/ns1/configmaps"), "/api/v1/namespaces/{namespace}/configmaps");
    assert.equal(
      pathTemplate("/apis/apps/v1/namespaces/n/deployments/web/status"),
      "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status",
    );
    assert.equal(pathTemplate("/api/v1/namespaces/kube-system"), "/api/v1/namespaces/{name}");
    assert.equal(pathTemplate("/api/v1/namespaces"), "/api/v1/namespaces");
    assert.equal(pathTemplate("/apis/example.com/v1/widgets"), "/apis/example.com/v1/widgets");
    assert.equal(pathTemplate("/api/v1"), "/api/v1");
    assert.equal(pathTemplate("/version"), "/version");
  });
});
