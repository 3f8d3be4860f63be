// The manifest parser: arbitrary JSON, valid manifests with fields swapped for arbitrary values, and raw bytes are
// parsed or refused with the spec floor's own typed error, never a TypeError.
import fc from "fast-check";
import { InvalidManifestError } from "../../src/ocispec/errors.ts";
import { childrenOf, parseManifest } from "../../src/ocispec/manifest.ts";
import { refusesOnlyWith, type FuzzTarget } from "./target.ts";

const digest = "sha256:" + "c".repeat(64);
const valid = {
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest, size: 2 },
  layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size: 10, annotations: { a: "b" } }],
};
const index = {
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{ mediaType: valid.mediaType, digest, size: 100, platform: { os: "linux", architecture: "amd64" } }],
};
const mediaTypes = fc.constantFrom(
  undefined,
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
  "text/plain",
);

/** A valid manifest or index with one field (at any depth) replaced by an arbitrary JSON value. */
const mutated = fc
  .tuple(
    fc.constantFrom(valid, index),
    fc.array(
      fc.constantFrom(
        "schemaVersion",
        "mediaType",
        "config",
        "layers",
        "manifests",
        "digest",
        "size",
        "platform",
        "annotations",
        "0",
      ),
      { minLength: 1, maxLength: 3 },
    ),
    fc.jsonValue(),
  )
  .map(([base, path, value]) => {
    const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    let node: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null) break;
      node = next as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
    return JSON.stringify(copy);
  });

export const manifestTarget: FuzzTarget = {
  name: "manifest parser: arbitrary and mutated manifests",
  check: (params) =>
    fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutated,
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string(),
        ),
        mediaTypes,
        async (text, contentType) => {
          const manifest = await refusesOnlyWith(() => parseManifest(text, contentType), [InvalidManifestError]);
          if (manifest !== undefined)
            for (const child of childrenOf(manifest))
              if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(child.digest))
                throw new Error(`accepted a descriptor with digest ${child.digest}`);
        },
      ),
      params,
    ),
};
