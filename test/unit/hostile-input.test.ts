// Hand-made hostile inputs (issue #8) that the fuzzers cannot reach by chance: each gets a specific error, or the
// documented behaviour, and nothing half-done.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BlobMismatchError, InvalidArchiveError } from "../../src/archive/errors.ts";
import { openImageArchive } from "../../src/archive/image-archive.ts";
import { BufferSource } from "../../src/archive/source.ts";
import { LoadError } from "../../src/sync/errors.ts";
import { loadManifests } from "../../src/sync/loader.ts";
import { packTar } from "../fuzz/tar-build.ts";

const sha = (b: string | Buffer): string => createHash("sha256").update(b).digest("hex");
const INDEX = "application/vnd.oci.image.index.v1+json";

/** An OCI archive whose index.json points at `digest` (size `size`), stored as `body`. */
async function ociArchive(digest: string, size: number, body: string): Promise<Buffer> {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX,
    manifests: [{ mediaType: INDEX, digest: `sha256:${digest}`, size }],
  });
  return packTar([
    { name: "oci-layout", body: JSON.stringify({ imageLayoutVersion: "1.0.0" }) },
    { name: "index.json", body: index },
    { name: `blobs/sha256/${digest}`, body },
  ]);
}

describe("hand-made hostile input", () => {
  it("an index that lists itself is refused by its digest, without looping", async () => {
    const name = "e".repeat(64);
    // The only way to "contain your own digest" is to lie about it: the reader checks metadata digests.
    let body = "";
    for (let size = 0; size !== body.length;) {
      size = body.length;
      body = JSON.stringify({
        schemaVersion: 2,
        mediaType: INDEX,
        manifests: [{ mediaType: INDEX, digest: `sha256:${name}`, size }],
      });
    }
    await assert.rejects(
      openImageArchive(new BufferSource(await ociArchive(name, body.length, body))),
      (err: Error) => err instanceof BlobMismatchError && /digest: expected sha256:e{64}/.test(err.message),
    );
  });

  it("a blob whose descriptor lies about its size is refused with both sizes", async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] });
    await assert.rejects(
      openImageArchive(new BufferSource(await ociArchive(sha(body), body.length + 5, body))),
      (err: Error) =>
        err instanceof InvalidArchiveError &&
        err.message.includes(`is ${body.length} bytes, its descriptor says ${body.length + 5}`),
    );
  });

  it("duplicate entries: the later manifest.json wins, as `docker load` (which unpacks the tar) has it", async () => {
    const layer = await packTar([{ name: "f", body: "x" }]);
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [`sha256:${sha(layer)}`] },
    });
    const manifest = (tag: string): string =>
      JSON.stringify([{ Config: `${sha(config)}.json`, RepoTags: [tag], Layers: ["l/layer.tar"] }]);
    const bytes = await packTar([
      { name: "manifest.json", body: manifest("first/one:v1") },
      { name: `${sha(config)}.json`, body: config },
      { name: "l/layer.tar", body: layer },
      { name: "manifest.json", body: manifest("second/one:v2") },
    ]);
    const archive = await openImageArchive(new BufferSource(bytes));
    assert.deepEqual(
      archive.images.map((i) => i.names),
      [["second/one:v2"]],
    );
    await archive.close();
  });

  it("a 10 MB YAML document is refused by the file cap before it is parsed", async () => {
    const root = mkdtempSync(join(tmpdir(), "airlift-hostile-yaml-"));
    const line = "  k: " + "v".repeat(90) + "\n";
    writeFileSync(
      join(root, "big.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n" +
        line.repeat(Math.ceil(10_000_000 / line.length)),
    );
    await assert.rejects(
      loadManifests({ root }),
      (err: Error) =>
        err instanceof LoadError &&
        err.code === "SizeLimitExceeded" &&
        /big\.yaml: file exceeds the cap/.test(err.message),
    );
  });
});
