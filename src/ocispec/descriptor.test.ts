import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDescriptor } from "./descriptor.ts";
import { InvalidManifestError } from "./errors.ts";

const digest = `sha256:${"a".repeat(64)}`;
const base = { mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size: 3 };

describe("descriptor narrowing", () => {
  it("keeps the optional fields it understands", () => {
    const d = parseDescriptor(
      {
        ...base,
        annotations: { a: "b" },
        platform: { os: "linux", architecture: "arm64", variant: "v8", extra: 1 },
        urls: ["https://x", 3],
      },
      "d",
    );
    assert.deepEqual(d, {
      ...base,
      annotations: { a: "b" },
      platform: { os: "linux", architecture: "arm64", variant: "v8" },
      urls: ["https://x"],
    });
  });

  it("reads null annotations and platform as absent, as Go's decoder does", () => {
    assert.deepEqual(parseDescriptor({ ...base, annotations: null, platform: null }, "d"), base);
  });

  it("refuses what breaks the spec", () => {
    for (const bad of [
      null,
      [],
      { ...base, mediaType: "" },
      { ...base, digest: "sha256:abc" },
      { ...base, size: -1 },
      { ...base, size: 1.5 },
      { ...base, annotations: { a: 1 } },
      { ...base, platform: "linux" },
      { ...base, platform: { os: "linux" } },
    ]) {
      assert.throws(
        () => parseDescriptor(bad, "layers[0]"),
        (err: unknown) => err instanceof InvalidManifestError && err.code === "MANIFEST_INVALID" && !err.transient,
        JSON.stringify(bad),
      );
    }
  });
});
