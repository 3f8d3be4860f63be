import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nothingToReconcile } from "./controller.ts";
import { markStalled, markSuspended } from "./conditions.ts";
import type { KubeObject } from "./resource.ts";

function object(options: { suspend: boolean; generation: number; conditions?: unknown[]; extra?: object }): KubeObject {
  return {
    metadata: { name: "o", namespace: "ns", generation: options.generation, resourceVersion: "5", ...options.extra },
    spec: { suspend: options.suspend },
    status: options.conditions ? { conditions: options.conditions } : undefined,
  };
}

describe("nothingToReconcile", () => {
  const suspendedAt2 = markSuspended(undefined, 2, "spec.suspend is true");

  it("skips the replay (first list, resync) of an object already summarized as Suspended at its generation", () => {
    const obj = object({ suspend: true, generation: 2, conditions: suspendedAt2 });
    assert.equal(nothingToReconcile(obj, "add"), true);
    assert.equal(nothingToReconcile(obj, "resync"), true);
  });

  it("reconciles a suspended object whose status does not say so yet, or says so for an older generation", () => {
    assert.equal(nothingToReconcile(object({ suspend: true, generation: 2 }), "add"), false);
    assert.equal(
      nothingToReconcile(object({ suspend: true, generation: 3, conditions: suspendedAt2 }), "resync"),
      false,
    );
  });

  it("reconciles a resumed object, a deleted one, a reconcile request and any update of spec or metadata", () => {
    const resumed = object({ suspend: false, generation: 2, conditions: suspendedAt2 });
    assert.equal(nothingToReconcile(resumed, "add"), false);
    const deleting = object({
      suspend: true,
      generation: 2,
      conditions: suspendedAt2,
      extra: { deletionTimestamp: "2026-12-03T00:00:00Z" },
    });
    assert.equal(nothingToReconcile(deleting, "resync"), false);
    const requested = object({
      suspend: true,
      generation: 2,
      conditions: suspendedAt2,
      extra: { annotations: { "airlift.dev/reconcile-requested-at": "now" } },
    });
    assert.equal(nothingToReconcile(requested, "resync"), false);
    const old = object({ suspend: true, generation: 2, conditions: suspendedAt2 });
    const labelled = object({ suspend: true, generation: 2, conditions: suspendedAt2, extra: { labels: { a: "b" } } });
    assert.equal(nothingToReconcile(labelled, "update", old), false);
  });

  it("keeps skipping status-only updates and the events of an object Stalled at its generation", () => {
    const old = object({ suspend: false, generation: 2 });
    const stalled = object({
      suspend: false,
      generation: 2,
      conditions: markStalled(undefined, 2, "InvalidSpec", "x"),
    });
    assert.equal(nothingToReconcile(stalled, "update", old), true);
    assert.equal(nothingToReconcile(stalled, "resync"), true);
    assert.equal(nothingToReconcile(stalled, "add"), false);
  });
});
