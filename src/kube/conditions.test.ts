import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { READY, RECONCILING, STALLED, getCondition, markReady, markReconciling, markRetrying, markStalled, setCondition } from "./conditions.ts";

describe("conditions", () => {
  it("keeps lastTransitionTime while the status stays, and moves it when the status changes", () => {
    const t1 = new Date("2025-01-01T00:00:00Z");
    const t2 = new Date("2025-01-01T01:00:00Z");
    const a = setCondition([], { type: READY, status: "False", reason: "A", message: "a" }, t1);
    const b = setCondition(a, { type: READY, status: "False", reason: "B", message: "b" }, t2);
    assert.equal(getCondition(b, READY)?.lastTransitionTime, "2025-01-01T00:00:00Z");
    assert.equal(getCondition(b, READY)?.reason, "B");
    const c = setCondition(b, { type: READY, status: "True", reason: "C", message: "c" }, t2);
    assert.equal(getCondition(c, READY)?.lastTransitionTime, "2025-01-01T01:00:00Z");
  });

  it("follows kstatus: Reconciling and Stalled exist only while true, Ready always", () => {
    const reconciling = markReconciling(undefined, 3, "importing");
    assert.deepEqual(reconciling.map((c) => [c.type, c.status]), [[RECONCILING, "True"], [READY, "Unknown"]]);
    const stalled = markStalled(reconciling, 3, "InvalidArchive", "failed to read archive: no manifest.json");
    assert.deepEqual(stalled.map((c) => [c.type, c.status, c.reason]), [[READY, "False", "InvalidArchive"], [STALLED, "True", "InvalidArchive"]]);
    const retrying = markRetrying(stalled, 4, "RegistryUnavailable", "failed to push: 503");
    assert.equal(getCondition(retrying, STALLED), undefined);
    assert.equal(getCondition(retrying, RECONCILING)?.reason, "ProgressingWithRetry");
    const ready = markReady(retrying, 4, "imported 2 images");
    assert.deepEqual(ready.map((c) => [c.type, c.status, c.observedGeneration]), [[READY, "True", 4]]);
  });
});
