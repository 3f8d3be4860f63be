import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConditionType } from "../api/conditions.ts";
import {
  getCondition,
  markReady,
  markReconciling,
  markRetrying,
  markStalled,
  markSuspended,
  setCondition,
  stalledAtGeneration,
} from "./conditions.ts";

const { Ready: READY, Reconciling: RECONCILING, Stalled: STALLED } = ConditionType;

describe("conditions", () => {
  it("keeps lastTransitionTime while the status stays, and moves it when the status changes", () => {
    const t1 = new Date("2025-01-01T00:00:00Z");
    const t2 = new Date("2025-01-01T01:00:00Z");
    const a = setCondition([], { type: READY, status: "False", reason: "InvalidSpec", message: "a" }, t1);
    const b = setCondition(a, { type: READY, status: "False", reason: "SecretNotFound", message: "b" }, t2);
    assert.equal(getCondition(b, READY)?.lastTransitionTime, "2025-01-01T00:00:00Z");
    assert.equal(getCondition(b, READY)?.reason, "SecretNotFound");
    const c = setCondition(b, { type: READY, status: "True", reason: "Succeeded", message: "c" }, t2);
    assert.equal(getCondition(c, READY)?.lastTransitionTime, "2025-01-01T01:00:00Z");
  });

  it("follows kstatus: Reconciling and Stalled exist only while true, Ready always", () => {
    const reconciling = markReconciling(undefined, 3, "importing");
    assert.deepEqual(
      reconciling.map((c) => [c.type, c.status]),
      [
        [RECONCILING, "True"],
        [READY, "Unknown"],
      ],
    );
    const stalled = markStalled(reconciling, 3, "InvalidArchive", "failed to read archive: no manifest.json");
    assert.deepEqual(
      stalled.map((c) => [c.type, c.status, c.reason]),
      [
        [READY, "False", "InvalidArchive"],
        [STALLED, "True", "InvalidArchive"],
      ],
    );
    const retrying = markRetrying(stalled, 4, "RegistryUnavailable", "failed to push: 503");
    assert.equal(getCondition(retrying, STALLED), undefined);
    assert.equal(getCondition(retrying, RECONCILING)?.reason, "ProgressingWithRetry");
    const ready = markReady(retrying, 4, "imported 2 images");
    assert.deepEqual(
      ready.map((c) => [c.type, c.status, c.observedGeneration]),
      [[READY, "True", 4]],
    );
  });

  it("suspends: Ready=False/Suspended, neither Reconciling nor Stalled", () => {
    const suspended = markSuspended(markStalled(undefined, 2, "InvalidArchive", "bad"), 2, "spec.suspend is true");
    assert.deepEqual(
      suspended.map((c) => [c.type, c.status, c.reason]),
      [[READY, "False", "Suspended"]],
    );
  });

  it("says whether an object is stalled at its current generation", () => {
    const stalled = markStalled(undefined, 3, "InvalidSpec", "bad");
    assert.equal(stalledAtGeneration(stalled, 3), true);
    assert.equal(stalledAtGeneration(stalled, 4), false);
    assert.equal(stalledAtGeneration(markRetrying(stalled, 3, "RegistryUnavailable", "503"), 3), false);
    assert.equal(stalledAtGeneration(undefined, 3), false);
  });
});
