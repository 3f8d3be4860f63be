import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceType } from "../kube/resource.ts";
import { SyncError } from "./errors.ts";
import type { Manifest } from "./identity.ts";
import { scopeObject, type ResolvedObject } from "./scope.ts";

const CM: ResourceType = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };
const CR: ResourceType = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  plural: "clusterroles",
  kind: "ClusterRole",
  namespaced: false,
};
const manifest = (kind: string, name: string, namespace?: string, apiVersion = "v1"): Manifest => ({
  object: { apiVersion, kind, metadata: namespace ? { name, namespace } : { name } },
  source: `${name}.yaml`,
});

describe("scope", () => {
  const tenant = { kind: "namespace", namespace: "team-a" } as const;

  it("a tenant scope fills in its namespace and keeps objects already in it", () => {
    const r = scopeObject(manifest("ConfigMap", "c"), CM, tenant) as ResolvedObject;
    assert.equal(r.identity.namespace, "team-a");
    assert.equal(r.manifest.object.metadata.namespace, "team-a");
    assert.equal(
      (scopeObject(manifest("ConfigMap", "c", "team-a"), CM, tenant) as ResolvedObject).identity.namespace,
      "team-a",
    );
  });

  it("a tenant scope refuses another namespace and cluster-scoped objects, naming object and file", () => {
    const other = scopeObject(manifest("ConfigMap", "c", "kube-system"), CM, tenant);
    assert.ok(other instanceof SyncError);
    assert.equal(other.code, "ScopeViolation");
    assert.match(other.message, /ConfigMap kube-system\/c from c\.yaml.*namespace team-a.*namespace kube-system/);
    const cluster = scopeObject(
      manifest("ClusterRole", "admin", undefined, "rbac.authorization.k8s.io/v1"),
      CR,
      tenant,
    );
    assert.ok(cluster instanceof SyncError);
    assert.match(cluster.message, /ClusterRole\.rbac\.authorization\.k8s\.io admin.*cluster-scoped/);
  });

  it("a cluster scope applies anything, defaulting the namespace and dropping one on cluster-scoped objects", () => {
    const cm = scopeObject(manifest("ConfigMap", "c"), CM, { kind: "cluster" }) as ResolvedObject;
    assert.equal(cm.identity.namespace, "default");
    const cr = scopeObject(manifest("ClusterRole", "r", "ignored", "rbac.authorization.k8s.io/v1"), CR, {
      kind: "cluster",
      defaultNamespace: "x",
    }) as ResolvedObject;
    assert.equal(cr.identity.namespace, "");
    assert.equal(cr.manifest.object.metadata.namespace, undefined);
  });
});
