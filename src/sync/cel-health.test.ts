import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../kube/resource.ts";
import { HealthExprError, HealthExprs, MAX_COMPREHENSION_DEPTH } from "./cel-health.ts";

const widget = (status: Record<string, unknown> | undefined): KubeObject => ({
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "ns", generation: 2 },
  ...(status ? { status } : {}),
});

const rules = HealthExprs.compile([
  {
    apiVersion: "example.com/v1",
    kind: "Widget",
    inProgress: "status.phase == 'Pending'",
    failed: "status.phase == 'Failed'",
    current: "status.phase == 'Ready' && status.observedGeneration == metadata.generation",
  },
]);

describe("healthCheckExprs (Flux semantics)", () => {
  it("gives InProgress, Failed, Current as the phase moves", () => {
    assert.equal(rules.evaluate(widget({ phase: "Pending" }))?.status, "InProgress");
    assert.equal(rules.evaluate(widget({ phase: "Failed" }))?.status, "Failed");
    assert.equal(rules.evaluate(widget({ phase: "Ready", observedGeneration: 2 }))?.status, "Current");
  });

  it("is InProgress when no expression is true, and in Flux's order (inProgress before current)", () => {
    assert.equal(rules.evaluate(widget({ phase: "Ready", observedGeneration: 1 }))?.status, "InProgress");
    const both = HealthExprs.compile([
      { apiVersion: "example.com/v1", kind: "Widget", inProgress: "true", current: "true" },
    ]);
    assert.equal(both.evaluate(widget({}))?.status, "InProgress");
  });

  it("is Unknown, with the error, when a named field is missing; has() guards it", () => {
    const h = rules.evaluate(widget(undefined));
    assert.equal(h?.status, "Unknown");
    assert.match(h?.message ?? "", /inProgress/);
    const guarded = HealthExprs.compile([
      { apiVersion: "example.com/v1", kind: "Widget", current: "has(status.phase) && status.phase == 'Ready'" },
    ]);
    assert.equal(guarded.evaluate(widget({}))?.status, "InProgress");
    assert.equal(guarded.evaluate(widget({ phase: "Ready" }))?.status, "Current");
    const flux = HealthExprs.compile([
      { apiVersion: "example.com/v1", kind: "Widget", current: "metadata.generation == 2" },
    ]);
    assert.equal(flux.evaluate(widget(undefined))?.status, "Current");
  });

  it("leaves other kinds to kstatus", () => {
    assert.equal(rules.evaluate({ ...widget({}), kind: "Gadget" }), undefined);
    assert.equal(rules.evaluate({ ...widget({}), apiVersion: "example.com/v2" }), undefined);
  });

  it("works over conditions lists (the cheatsheet's shape)", () => {
    const c = HealthExprs.compile([
      {
        apiVersion: "example.com/v1",
        kind: "Widget",
        failed: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'False')",
        current: "status.conditions.exists(e, e.type == 'Ready' && e.status == 'True')",
      },
    ]);
    const conds = (s: string): KubeObject => widget({ conditions: [{ type: "Ready", status: s }] });
    assert.equal(c.evaluate(conds("True"))?.status, "Current");
    assert.equal(c.evaluate(conds("False"))?.status, "Failed");
    assert.equal(c.evaluate(conds("Unknown"))?.status, "InProgress");
  });

  it("refuses at compile time: syntax, unknown functions, nesting, duplicates, with the field", () => {
    const bad = (current: string): HealthExprError => {
      try {
        HealthExprs.compile([
          { apiVersion: "v1", kind: "Pod", current: "true" },
          { apiVersion: "example.com/v1", kind: "W", current },
        ]);
      } catch (err) {
        assert.ok(err instanceof HealthExprError);
        return err;
      }
      assert.fail("compiled");
    };
    assert.equal(bad("status.phase ==").field, "spec.healthCheckExprs[1].current");
    assert.match(bad("nosuch(status)").message, /unknown function nosuch/);
    const nested = "a.all(x, x.all(y, y.all(z, z)))";
    assert.match(bad(nested).message, new RegExp(`nested 3 deep, at most ${MAX_COMPREHENSION_DEPTH}`));
    // Chained comprehensions run one after the other: not nested.
    HealthExprs.compile([{ apiVersion: "v1", kind: "Pod", current: "a.filter(x, x).map(x, x).all(x, x)" }]);
    assert.match(bad("x".repeat(1025)).message, /longer than 1024/);
    assert.throws(
      () =>
        HealthExprs.compile([
          { apiVersion: "v1", kind: "Pod", current: "true" },
          { apiVersion: "v1", kind: "Pod", current: "false" },
        ]),
      /spec.healthCheckExprs\[1\]: a second rule/,
    );
  });
});
