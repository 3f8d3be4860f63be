import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DeletionPolicy } from "../api/oci-sync.ts";
import {
  ANNOTATION_CS_DELETION_PROPAGATION,
  ANNOTATION_DELETION_PROPAGATION,
  deletionPolicyOf,
} from "./oci-sync-deletion-decide.ts";

const sync = (deletionPolicy?: DeletionPolicy, annotations?: Record<string, string>) => ({
  metadata: { name: "s", namespace: "n", annotations },
  spec: { oci: { image: "r.example/x:1" }, deletionPolicy },
});

describe("deletionPolicyOf", () => {
  it("defaults to Orphan (Config Sync's default)", () => {
    assert.equal(deletionPolicyOf(sync()), "Orphan");
    assert.equal(deletionPolicyOf(sync(undefined, { [ANNOTATION_DELETION_PROPAGATION]: "Orphan" })), "Orphan");
  });

  it("maps airlift's and Config Sync's Foreground annotation to Delete", () => {
    assert.equal(deletionPolicyOf(sync(undefined, { [ANNOTATION_DELETION_PROPAGATION]: "Foreground" })), "Delete");
    assert.equal(deletionPolicyOf(sync(undefined, { [ANNOTATION_CS_DELETION_PROPAGATION]: "Foreground" })), "Delete");
  });

  it("lets spec.deletionPolicy win over the annotation", () => {
    const annotations = { [ANNOTATION_CS_DELETION_PROPAGATION]: "Foreground" };
    assert.equal(deletionPolicyOf(sync("Orphan", annotations)), "Orphan");
    assert.equal(deletionPolicyOf(sync("WaitForTermination", annotations)), "WaitForTermination");
  });
});
