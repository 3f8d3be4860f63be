import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "./command.ts";
import { kindNamed } from "./object-target.ts";

describe("kindNamed", () => {
  it("accepts kind, plural, short and qualified names", () => {
    for (const w of ["OciSync", "ocisyncs", "os", "ocisyncs.airlift.dev"]) assert.equal(kindNamed(w).kind, "OciSync");
    assert.equal(kindNamed("ii").kind, "ImageImport");
    assert.equal(kindNamed("ArtifactPull").kind, "ArtifactPull");
  });
  it("refuses other words", () => {
    assert.throws(() => kindNamed("deployment"), UsageError);
  });
});
