// What a finished ImageImport's status says about a multi-arch index: its children, and for a platform subset that
// the pushed index is a new document whose digest is not the archive's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImportedImage, ImportResult } from "../transfer/import-archive.ts";
import { succeededSummary } from "./image-import-status.ts";

const ARCHIVE = `sha256:${"a".repeat(64)}`;
const PUSHED = `sha256:${"b".repeat(64)}`;
const CHILD = `sha256:${"c".repeat(64)}`;

function result(image: Partial<ImportedImage>): ImportResult {
  const base: ImportedImage = {
    source: "app:1",
    references: ["harbor.example.com/library/app:1"],
    digest: ARCHIVE,
    mediaType: "application/vnd.oci.image.index.v1+json",
    size: 400,
    unchanged: false,
    children: [{ platform: "linux/arm64", digest: CHILD }],
  };
  return {
    images: [{ ...base, ...image }],
    format: "oci-archive",
    durationMs: 10,
    blobsUploaded: 2,
    blobsSkipped: 0,
    blobsMounted: 0,
    bytesUploaded: 10,
    bytesSkipped: 0,
  };
}

describe("succeededSummary of an index", () => {
  const attempt = { revision: "etag", generation: 1 };

  it("a platform subset: the message names the new index digest and the archive's; the fields keep both", () => {
    const summary = succeededSummary(result({ digest: PUSHED, sourceDigest: ARCHIVE }), attempt, "now");
    assert.equal(summary.verdict.kind, "ready");
    assert.match(
      summary.verdict.message,
      new RegExp(`platform subset: index ${PUSHED} replaces the archive's ${ARCHIVE}`),
    );
    const [image] = summary.fields?.images as Record<string, unknown>[];
    assert.equal(image?.digest, PUSHED);
    assert.equal(image?.sourceDigest, ARCHIVE);
    assert.deepEqual(image?.children, [{ platform: "linux/arm64", digest: CHILD }]);
  });

  it("a whole index: no subset note, no sourceDigest", () => {
    const summary = succeededSummary(result({}), attempt, "now");
    assert.doesNotMatch(summary.verdict.message, /platform subset/);
    const [image] = summary.fields?.images as Record<string, unknown>[];
    assert.equal(image?.sourceDigest, undefined);
  });
});
