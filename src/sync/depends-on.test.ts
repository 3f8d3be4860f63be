import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANNOTATION_DEPENDS_ON, findCycles, parseDependsOn, planDependencies, type PlanItem } from "./depends-on.ts";
import { SyncError } from "./errors.ts";
import type { ObjectIdentity } from "./identity.ts";

const cm = (name: string, dependsOn?: string): PlanItem => ({
  identity: { group: "", kind: "ConfigMap", namespace: "team", name },
  annotations: dependsOn === undefined ? undefined : { [ANNOTATION_DEPENDS_ON]: dependsOn },
});
const ref = (name: string): string => `/namespaces/team/ConfigMap/${name}`;
const names = (items: readonly PlanItem[]): string[] => items.map((i) => i.identity.name);
const self: ObjectIdentity = { group: "", kind: "ConfigMap", namespace: "team", name: "x" };

describe("parseDependsOn", () => {
  it("reads namespaced, cluster-scoped and core-group references, comma-separated", () => {
    assert.deepEqual(
      parseDependsOn(
        "apps/namespaces/default/StatefulSet/db, rbac.authorization.k8s.io/ClusterRole/admin,/Namespace/team",
        self,
      ),
      [
        { group: "apps", namespace: "default", kind: "StatefulSet", name: "db" },
        { group: "rbac.authorization.k8s.io", namespace: "", kind: "ClusterRole", name: "admin" },
        { group: "", namespace: "", kind: "Namespace", name: "team" },
      ],
    );
  });

  it("refuses a malformed entry with InvalidDependsOn naming it", () => {
    for (const bad of [
      "apps:namespaces:default:StatefulSet:db",
      "apps/StatefulSet",
      "apps/ns/default/StatefulSet/db",
    ]) {
      assert.throws(
        () => parseDependsOn(bad, self),
        (err: unknown) => err instanceof SyncError && err.code === "InvalidDependsOn" && err.message.includes(bad),
      );
    }
  });
});

describe("planDependencies", () => {
  it("puts every object after its dependencies, whatever the input order", () => {
    const plan = planDependencies([cm("a", ref("b")), cm("b", ref("c")), cm("c"), cm("free")]);
    assert.deepEqual(plan.groups.map(names), [["c", "free"], ["b"], ["a"]]);
    assert.deepEqual(plan.refused, []);
  });

  it("adds Config Sync's implicit edge to a Namespace the source declares", () => {
    const ns: PlanItem = { identity: { group: "", kind: "Namespace", namespace: "", name: "team" } };
    const plan = planDependencies([cm("a", ref("b")), cm("b"), ns]);
    assert.deepEqual(plan.groups.map(names), [["team"], ["b"], ["a"]]);
  });

  it("refuses a cycle by name, and what depends on it, and applies the rest", () => {
    const plan = planDependencies([
      cm("x", ref("y")),
      cm("y", `${ref("z")},${ref("other")}`),
      cm("z", ref("x")),
      cm("w", ref("x")),
      cm("other"),
    ]);
    assert.deepEqual(plan.groups.map(names), [["other"]]);
    const byName = new Map(plan.refused.map((r) => [r.item.identity.name, r.error]));
    for (const n of ["x", "y", "z"]) {
      assert.equal(byName.get(n)?.code, "DependsOnCycle");
      assert.match(
        byName.get(n)?.message ?? "",
        /ConfigMap team\/x -> ConfigMap team\/y -> ConfigMap team\/z -> ConfigMap team\/x/,
      );
    }
    assert.equal(byName.get("w")?.code, "DependencyNotReconciled");
  });

  it("refuses a self-dependency as a cycle", () => {
    const plan = planDependencies([cm("x", ref("x"))]);
    assert.equal(plan.refused[0]?.error.code, "DependsOnCycle");
  });

  it("refuses a dependency the source does not declare (Config Sync's same-source rule)", () => {
    const plan = planDependencies([cm("a", ref("elsewhere")), cm("b", ref("a"))]);
    const byName = new Map(plan.refused.map((r) => [r.item.identity.name, r.error]));
    assert.equal(byName.get("a")?.code, "InvalidDependsOn");
    assert.match(byName.get("a")?.message ?? "", /ConfigMap team\/elsewhere, which this source does not declare/);
    assert.equal(byName.get("b")?.code, "DependencyNotReconciled");
    assert.deepEqual(plan.groups, []);
  });

  it("accepts a dependency handled earlier (a CRD), and refuses one that failed earlier", () => {
    const crd = "apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com";
    const key = "apiextensions.k8s.io/CustomResourceDefinition//widgets.example.com";
    assert.deepEqual(planDependencies([cm("a", crd)], new Map([[key, undefined]])).groups.map(names), [["a"]]);
    const failed = new SyncError("ApplyFailed", "boom");
    const plan = planDependencies([cm("a", crd)], new Map([[key, failed]]));
    assert.equal(plan.refused[0]?.error.code, "DependencyNotReconciled");
  });
});

describe("findCycles", () => {
  it("finds each strongly connected component with a cycle, not the acyclic parts", () => {
    const edges = new Map([
      ["a", ["b"]],
      ["b", ["a"]],
      ["c", ["a"]],
      ["d", ["d"]],
    ]);
    assert.deepEqual(
      findCycles(edges).map((c) => [...c].sort()),
      [["a", "b"], ["d"]],
    );
  });
});
