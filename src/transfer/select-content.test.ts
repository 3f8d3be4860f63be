// The one content choice of ArtifactPull and OciSync: the platform's manifest of an index, and the layers to extract
// (all, one by media type, one copied as a file, titled tarballs unpacked only when the flow asks).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Repository } from "../oci/repository.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { parseManifest, type ImageManifest } from "../ocispec/manifest.ts";
import { LayerNotFoundError, NestedIndexError, PlatformNotFoundError } from "./content-errors.ts";
import { layersToExtract, selectManifest } from "./select-content.ts";

const d = (n: number, extra: Partial<Descriptor> = {}): Descriptor =>
  ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${String(n).repeat(64)}`,
    size: n,
    ...extra,
  }) as Descriptor;
const image: ImageManifest = parseManifest(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: d(1, { mediaType: "application/vnd.oci.image.config.v1+json" }),
    layers: [
      d(2, { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" }),
      d(3, { mediaType: "application/x-yaml", annotations: { "org.opencontainers.image.title": "app.yaml" } }),
      d(4, {
        mediaType: "application/vnd.oci.image.layer.v1.tar",
        annotations: { "org.opencontainers.image.title": "bundle.tar.gz" },
      }),
    ],
  }),
) as ImageManifest;
const index = (entries: Descriptor[]): string =>
  JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries });

/** A repository whose manifests are `docs` by reference or digest; blobs are never read here. */
function repo(docs: Record<string, string>): Repository {
  const fetch = (ref: string | Descriptor): unknown => {
    const key = typeof ref === "string" ? ref : ref.digest;
    const text = docs[key];
    if (text === undefined) throw new Error(`no ${key}`);
    const manifest = parseManifest(text);
    return {
      manifest,
      bytes: Buffer.from(text),
      descriptor: d(9, {
        mediaType: manifest.mediaType ?? "",
        digest: key.startsWith("sha256:") ? key : d(8).digest,
      } as Partial<Descriptor>),
    };
  };
  return {
    manifests: () => ({ fetch: async (ref: string | Descriptor) => fetch(ref) }),
    blobs: () => ({ fetch: async () => undefined }),
  } as unknown as Repository;
}

describe("selectManifest", () => {
  const arm = d(5, { platform: { os: "linux", architecture: "arm64", variant: "v8" } });
  const amd = d(6, { platform: { os: "linux", architecture: "amd64" } });

  it("takes a manifest as it is and the platform's entry of an index", async () => {
    const docs = {
      v1: JSON.stringify(image),
      idx: index([arm, amd]),
      [amd.digest]: JSON.stringify(image),
      [arm.digest]: JSON.stringify(image),
    };
    const plain = await selectManifest(repo(docs), "v1", "linux/amd64");
    assert.equal(plain.platform, undefined);
    assert.equal(plain.manifest.layers.length, 3);
    assert.equal((await selectManifest(repo(docs), "idx", "linux/amd64")).descriptor.digest, amd.digest);
    const picked = await selectManifest(repo(docs), "idx", "linux/arm64");
    assert.deepEqual([picked.descriptor.digest, picked.platform], [arm.digest, "linux/arm64"]);
  });

  it("names the platforms an index has when none matches, and refuses an index inside an index", async () => {
    const docs = { idx: index([arm, amd]), nested: index([amd]), [amd.digest]: index([]) };
    await assert.rejects(
      selectManifest(repo(docs), "idx", "linux/s390x"),
      (err: unknown) =>
        err instanceof PlatformNotFoundError &&
        err.code === "PLATFORM_NOT_FOUND" &&
        /has: linux\/arm64\/v8, linux\/amd64/.test(err.message),
    );
    await assert.rejects(selectManifest(repo(docs), "idx", "linux/arm64/v7"), PlatformNotFoundError);
    await assert.rejects(
      selectManifest(repo(docs), "nested", "linux/amd64"),
      (err: unknown) => err instanceof NestedIndexError && !err.transient,
    );
  });
});

describe("layersToExtract", () => {
  const r = repo({});
  it("takes every layer with its media type and annotations by default", () => {
    const layers = layersToExtract(r, image);
    assert.deepEqual(
      layers.map((l) => [l.mediaType, l.annotations?.["org.opencontainers.image.title"]]),
      [
        ["application/vnd.oci.image.layer.v1.tar+gzip", undefined],
        ["application/x-yaml", "app.yaml"],
        ["application/vnd.oci.image.layer.v1.tar", "bundle.tar.gz"],
      ],
    );
  });

  it("unpacks a titled tarball file as a layer only when asked (OciSync), leaving other titled files as files", () => {
    const layers = layersToExtract(r, image, { unpackTarballFiles: true });
    assert.deepEqual(
      layers.map((l) => l.annotations?.["org.opencontainers.image.title"]),
      [undefined, "app.yaml", undefined],
    );
  });

  it("picks the first layer of the selected media type, to extract or to copy as one file", () => {
    const extract = layersToExtract(r, image, {
      layerSelector: { mediaType: "application/x-yaml", operation: "extract" },
    });
    assert.deepEqual(
      extract.map((l) => l.mediaType),
      ["application/x-yaml"],
    );
    const copy = layersToExtract(r, image, {
      layerSelector: { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", operation: "copy" },
    });
    assert.deepEqual(
      copy.map((l) => [l.mediaType, l.annotations]),
      [[undefined, { "org.opencontainers.image.title": "layer" }]],
    );
    assert.throws(
      () => layersToExtract(r, image, { layerSelector: { mediaType: "text/plain", operation: "extract" } }),
      (err: unknown) => err instanceof LayerNotFoundError && /has: .*application\/x-yaml/.test(err.message),
    );
  });
});
