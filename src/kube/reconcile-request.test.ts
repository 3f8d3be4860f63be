import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANNOTATION_RECONCILE_REQUESTED_AT,
  FLUX_RECONCILE_REQUESTED_AT,
  reconcileRequest,
  requestPending,
} from "./reconcile-request.ts";

const obj = (annotations: Record<string, string>, handled?: string): Parameters<typeof requestPending>[0] => ({
  metadata: { name: "x", annotations },
  status: handled === undefined ? {} : { lastHandledReconcileAt: handled },
});

describe("reconcile request", () => {
  it("reads airlift's key before Flux's, and none when empty", () => {
    assert.equal(reconcileRequest(obj({ [FLUX_RECONCILE_REQUESTED_AT]: "f" })), "f");
    assert.equal(
      reconcileRequest(obj({ [FLUX_RECONCILE_REQUESTED_AT]: "f", [ANNOTATION_RECONCILE_REQUESTED_AT]: "a" })),
      "a",
    );
    assert.equal(reconcileRequest(obj({ [ANNOTATION_RECONCILE_REQUESTED_AT]: "" })), undefined);
    assert.equal(reconcileRequest(obj({})), undefined);
  });
  it("is pending until status records the same value", () => {
    assert.equal(requestPending(obj({ [ANNOTATION_RECONCILE_REQUESTED_AT]: "t2" }, "t1")), true);
    assert.equal(requestPending(obj({ [ANNOTATION_RECONCILE_REQUESTED_AT]: "t2" }, "t2")), false);
    assert.equal(requestPending(obj({}, "t1")), false);
  });
});
