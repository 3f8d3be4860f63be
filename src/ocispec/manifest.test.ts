import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { childrenOf, parseManifest } from "./manifest.ts";
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from "./media-types.ts";

const d = (
  n: string,
  mediaType = "application/vnd.oci.image.layer.v1.tar+gzip",
): { mediaType: string; digest: string; size: number } => ({ mediaType, digest: `sha256:${n.repeat(64)}`, size: 10 });
const code =
  (c: string) =>
  (err: unknown): boolean =>
    (err as { code?: string }).code === c;

describe("manifest narrowing", () => {
  it("narrows an OCI manifest and lists its children in push order", () => {
    const m = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: d("c"),
        layers: [d("a"), d("b")],
        annotations: { x: "y" },
      }),
    );
    assert.equal(m.kind, "manifest");
    assert.deepEqual(
      childrenOf(m).map((x) => x.digest[7]),
      ["c", "a", "b"],
    );
  });

  it("narrows indexes and Docker lists with platforms", () => {
    const list = parseManifest(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST_LIST,
        manifests: [{ ...d("a", DOCKER_MANIFEST), platform: { os: "linux", architecture: "arm64", variant: "v8" } }],
      }),
    );
    assert.equal(list.kind, "index");
    assert.equal(list.kind === "index" ? list.manifests[0]?.platform?.variant : "", "v8");
    assert.equal(parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [] }), OCI_INDEX).mediaType, OCI_INDEX);
  });

  it("infers the type of an OCI document without mediaType, and takes Content-Type when given", () => {
    assert.equal(
      parseManifest(JSON.stringify({ schemaVersion: 2, config: d("c"), layers: [] })).mediaType,
      OCI_MANIFEST,
    );
    assert.equal(parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [] })).kind, "index");
  });

  it("rejects ambiguous and malformed documents", () => {
    assert.throws(
      () =>
        parseManifest(
          JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: d("c"), layers: [], manifests: [] }),
        ),
      code("MANIFEST_INVALID"),
    );
    assert.throws(
      () => parseManifest(JSON.stringify({ schemaVersion: 1, mediaType: OCI_MANIFEST })),
      code("MANIFEST_INVALID"),
    );
    assert.throws(() => parseManifest("{"), code("MANIFEST_INVALID"));
    assert.throws(
      () =>
        parseManifest(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { ...d("c"), digest: "sha256:../../etc" },
            layers: [],
          }),
        ),
      code("MANIFEST_INVALID"),
    );
    assert.throws(
      () =>
        parseManifest(
          JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { ...d("c"), size: -1 }, layers: [] }),
        ),
      code("MANIFEST_INVALID"),
    );
    assert.throws(
      () =>
        parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), DOCKER_MANIFEST_LIST),
      code("MANIFEST_INVALID"),
    );
    assert.throws(
      () => parseManifest(JSON.stringify({ schemaVersion: 2, config: d("c"), layers: [] }), DOCKER_MANIFEST),
      code("MANIFEST_INVALID"),
    );
  });

  it("names unknown media types clearly", () => {
    assert.throws(
      () =>
        parseManifest(
          JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws" }),
        ),
      (err: unknown) =>
        code("MANIFEST_UNSUPPORTED")(err) &&
        /unsupported manifest media type .*v1\+prettyjws/.test((err as Error).message),
    );
  });
});
