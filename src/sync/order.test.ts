import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ObjectIdentity } from "./identity.ts";
import { APPLY_STAGES, PRUNE_STAGES, groupByStage, stageOf } from "./order.ts";

const id = (group: string, kind: string, namespace: string, name: string): { identity: ObjectIdentity } => ({
  identity: { group, kind, namespace, name },
});

describe("apply order", () => {
  const items = [
    id("apps", "Deployment", "team", "web"),
    id("example.com", "Widget", "team", "w"),
    id("", "ConfigMap", "team", "cfg"),
    id("", "ServiceAccount", "team", "sa"),
    id("rbac.authorization.k8s.io", "ClusterRoleBinding", "", "crb"),
    id("rbac.authorization.k8s.io", "ClusterRole", "", "cr"),
    id("", "Namespace", "", "team"),
    id("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com"),
    id("example.com", "ClusterWidget", "", "cw"),
  ];

  it("stages CRDs, Namespaces, cluster-scoped (RBAC first), then namespaced (dependencies first)", () => {
    const stages = groupByStage(items);
    assert.deepEqual(
      stages.map((s) => [s.stage, s.items.map((i) => i.identity.kind)]),
      [
        ["crds", ["CustomResourceDefinition"]],
        ["namespaces", ["Namespace"]],
        ["cluster", ["ClusterRole", "ClusterRoleBinding", "ClusterWidget"]],
        ["namespaced", ["ServiceAccount", "ConfigMap", "Deployment", "Widget"]],
      ],
    );
  });

  it("prunes custom resources before their CRDs and Namespaces last", () => {
    assert.deepEqual(
      groupByStage(items, PRUNE_STAGES).map((s) => s.stage),
      ["namespaced", "cluster", "crds", "namespaces"],
    );
    assert.equal(APPLY_STAGES.length, PRUNE_STAGES.length);
  });

  it("places a kind by its scope, not its name", () => {
    assert.equal(stageOf({ group: "other.io", kind: "Namespace", namespace: "", name: "x" }), "cluster");
    assert.equal(stageOf({ group: "", kind: "Namespace", namespace: "", name: "x" }), "namespaces");
  });
});
