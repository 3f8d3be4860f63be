import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveDefaults } from "./defaults.ts";

describe("resolveDefaults", () => {
  it("derives harbor.<suffix> and objectstorage.<suffix> from a DNS suffix", () => {
    const d = resolveDefaults({ dnsSuffix: "org-1.zone1.google.gdch.test" });
    assert.equal(d.registry, "harbor.org-1.zone1.google.gdch.test");
    assert.equal(d.s3Endpoint, "https://objectstorage.org-1.zone1.google.gdch.test");
  });
  it("prefers explicit endpoints and leaves them unset without a suffix", () => {
    assert.equal(resolveDefaults({ dnsSuffix: "x.test", registry: "reg:5000" }).registry, "reg:5000");
    assert.equal(resolveDefaults({}).registry, undefined);
    assert.equal(resolveDefaults({}).s3Endpoint, undefined);
  });
});
