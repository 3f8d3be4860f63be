// layerCompression gzip and zstd end to end: a docker-archive with uncompressed layers (random and text, each several
// compression blocks long) imported from MinIO into the real registry, then read back by the Go tools: crane validate
// decompresses every gzip layer with Go's reader and checks its diffID; skopeo pulls every blob, checks its digest
// and decompresses it (Go's gzip and zstd readers), and the result must hash to the diffID.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3Source } from "../../src/storage/s3-source.ts";
import { importArchive } from "../../src/transfer/import-archive.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-compression-"));
const bucket = "transfer-compression";
let env: EnvironmentConnection;
let s3: S3Client;
let registry: string;

before(async () => {
  env = await testEnv();
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  registry = env.registries.anonymous.host;
  const dir = mkdtempSync(join(scratch, "layer-"));
  // One layer mixing random bytes and text inside single blocks, one of text only.
  writeFileSync(join(dir, "random.bin"), randomBytes(3_000_000));
  writeFileSync(join(dir, "notes.txt"), "a config line that repeats\n".repeat(60_000));
  await run("tar", ["-C", dir, "-cf", join(dir, "0.tar"), "random.bin", "notes.txt"]);
  await run("tar", ["-C", dir, "-cf", join(dir, "1.tar"), "notes.txt"]);
  const seed = `${registry}/seed/mixed:1`;
  await run("crane", ["append", "--insecure", "-f", join(dir, "0.tar"), "-t", seed]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "1.tar"), "-b", seed, "-t", seed]);
  const tar = join(scratch, "mixed.tar");
  await run("skopeo", ["copy", "--src-tls-verify=false", `docker://${seed}`, `docker-archive:${tar}:mixed:1`]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "mixed.tar", Body: readFileSync(tar) }));
});

async function importAs(mode: "gzip" | "zstd", repository: string): Promise<Record<string, unknown>> {
  const result = await importArchive(await S3Source.open({ client: s3, bucket, key: "mixed.tar" }), {
    destination: { registry, repository, tags: ["1"] },
    connection: { plainHttp: true },
    layerCompression: mode,
  });
  assert.equal(result.images.length, 1);
  const ref = `${registry}/${repository}:1`;
  // crane (v0.22) validates gzip layers only; for zstd, skopeo's Go zstd reader decompresses each pulled layer.
  if (mode === "gzip") await run("crane", ["validate", "--insecure", "--remote", ref]);
  const pulled = mkdtempSync(join(scratch, "pulled-"));
  await run("skopeo", ["copy", "--src-tls-verify=false", "--dest-decompress", `docker://${ref}`, `dir:${pulled}`]);
  const seedConfig = JSON.parse((await run("crane", ["config", "--insecure", `${registry}/seed/mixed:1`])).stdout);
  const config = JSON.parse((await run("crane", ["config", "--insecure", ref])).stdout);
  assert.deepEqual(config.rootfs.diff_ids, seedConfig.rootfs.diff_ids);
  for (const diffId of config.rootfs.diff_ids as string[]) {
    const bytes = readFileSync(join(pulled, diffId.replace("sha256:", "")));
    assert.equal(`sha256:${createHash("sha256").update(bytes).digest("hex")}`, diffId);
  }
  return JSON.parse((await run("crane", ["manifest", "--insecure", ref])).stdout) as Record<string, unknown>;
}

describe("layer compression", () => {
  it("gzip: one block-parallel gzip stream per layer that Go's reader accepts, a Docker schema 2 manifest", async () => {
    const manifest = (await importAs("gzip", "compressed/gzip")) as {
      mediaType: string;
      layers: { mediaType: string; size: number }[];
    };
    assert.equal(manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    for (const l of manifest.layers) assert.equal(l.mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
    // The random 3 MB are stored, not inflated; the text shrinks.
    assert.ok((manifest.layers[0]?.size ?? 0) < 3_000_000 + 200_000);
    assert.ok((manifest.layers[1]?.size ?? Infinity) < 200_000);
  });

  it("zstd: OCI manifest with tar+zstd layers, digests over the pushed bytes, diffIDs unchanged", async () => {
    const manifest = (await importAs("zstd", "compressed/zstd")) as {
      mediaType: string;
      layers: { mediaType: string }[];
    };
    assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
    for (const l of manifest.layers) assert.equal(l.mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
  });
});
