// withXDefaults fill in exactly what the CRD schema's `default`s would: a structural-defaulting walk (the API
// server's algorithm: a default applies where a field is absent and its parent present, then recurse) over the
// schema must give the same spec.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectSchema } from "./crds.ts";
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC } from "./group-version.ts";
import { sampleArtifactPull, sampleImageImport, sampleOciSync } from "../../test/fixtures/api/sample-objects.ts";
import { withImageImportDefaults } from "./image-import.ts";
import { withArtifactPullDefaults } from "./artifact-pull.ts";
import { withOciSyncDefaults } from "./oci-sync.ts";
import type { SchemaNode } from "./openapi-schema.ts";

function applyDefaults(node: SchemaNode, value: unknown): unknown {
  if (Array.isArray(value)) return (value as unknown[]).map((v) => (node.items ? applyDefaults(node.items, v) : v));
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (out[name] === undefined && child.default !== undefined) out[name] = structuredClone(child.default);
    if (out[name] !== undefined) out[name] = applyDefaults(child, out[name]);
  }
  return out;
}

function specSchema(kind: typeof IMAGE_IMPORT): SchemaNode {
  return objectSchema(kind).properties!.spec!;
}

describe("defaults", () => {
  it("ImageImport", () => {
    const spec = sampleImageImport().spec;
    spec.source.s3.caBundleSecretRef = { name: "ca" };
    spec.destination.caBundleSecretRef = { name: "ca" };
    assert.deepEqual(withImageImportDefaults(spec), applyDefaults(specSchema(IMAGE_IMPORT), spec));
    assert.equal(withImageImportDefaults(spec).source.s3.credentialsSecretRef?.accessKeyIdKey, "access-key-id");
  });

  it("ArtifactPull", () => {
    const spec = sampleArtifactPull().spec;
    spec.source.caBundleSecretRef = { name: "ca" };
    assert.deepEqual(withArtifactPullDefaults(spec), applyDefaults(specSchema(ARTIFACT_PULL), spec));
    assert.equal(withArtifactPullDefaults(spec).extractLimits.maxTotalBytes, 1024 ** 3);
  });

  it("OciSync, with and without a layerSelector", () => {
    const spec = sampleOciSync().spec;
    assert.deepEqual(withOciSyncDefaults(spec), applyDefaults(specSchema(OCI_SYNC), spec));
    spec.oci.layerSelector = { mediaType: "application/vnd.cncf.flux.content.v1.tar+gzip" };
    spec.oci.caCertSecretRef = { name: "ca" };
    assert.deepEqual(withOciSyncDefaults(spec), applyDefaults(specSchema(OCI_SYNC), spec));
    assert.equal(withOciSyncDefaults(spec).pruneSafeguard.maxFraction, 0.5);
  });

  it("does not change the spec it is given", () => {
    const spec = sampleOciSync().spec;
    const before = structuredClone(spec);
    withOciSyncDefaults(spec);
    assert.deepEqual(spec, before);
  });
});
