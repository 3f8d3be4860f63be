import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildImageManifest, layerMediaType, manifestFormat, planLayer } from "./layer-plan.ts";

describe("planLayer", () => {
  it("preserve never touches the bytes", () => {
    for (const from of ["none", "gzip", "zstd"] as const)
      assert.deepEqual(planLayer(from, "preserve"), { action: "copy", from, to: from });
  });
  it("gzip compresses once and passes gzip layers through", () => {
    assert.equal(planLayer("none", "gzip").action, "compress");
    assert.equal(planLayer("gzip", "gzip").action, "copy");
    assert.equal(planLayer("zstd", "gzip").action, "recompress");
  });
  it("zstd compresses once, passes zstd layers through, and recompresses gzip ones", () => {
    assert.deepEqual(planLayer("none", "zstd"), { action: "compress", from: "none", to: "zstd" });
    assert.equal(planLayer("zstd", "zstd").action, "copy");
    assert.deepEqual(planLayer("gzip", "zstd"), { action: "recompress", from: "gzip", to: "zstd" });
    assert.equal(manifestFormat("docker", ["zstd"]), "oci");
    assert.equal(layerMediaType("oci", "zstd"), "application/vnd.oci.image.layer.v1.tar+zstd");
  });
  it("none stores layers uncompressed", () => {
    assert.equal(planLayer("gzip", "none").action, "decompress");
    assert.equal(planLayer("none", "none").action, "copy");
  });
});

describe("manifest format", () => {
  it("keeps Docker schema 2 only for all-gzip images from Docker archives", () => {
    assert.equal(manifestFormat("docker", ["gzip", "gzip"]), "docker");
    assert.equal(manifestFormat("docker", ["gzip", "none"]), "oci");
    assert.equal(manifestFormat("oci", ["gzip"]), "oci");
    assert.equal(layerMediaType("oci", "none"), "application/vnd.oci.image.layer.v1.tar");
  });
  it("serializes deterministically", () => {
    const config = {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: `sha256:${"a".repeat(64)}`,
      size: 2,
    };
    const a = buildImageManifest("oci", config, [], { x: "1" });
    const b = buildImageManifest("oci", config, [], { x: "1" });
    assert.deepEqual(a.bytes, b.bytes);
    assert.equal(JSON.parse(a.bytes.toString()).mediaType, "application/vnd.oci.image.manifest.v1+json");
  });
});
