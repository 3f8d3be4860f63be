// Image archives written by the real tools (skopeo, crane), plain and gzip-wrapped, read back through an
// S3Source over MinIO: names are right and every blob's bytes hash to its digest.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, createReadStream, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { run, s3Client, testEnv } from "../env/index.ts";
import { openImageArchive, type ImageArchive } from "../../src/archive/index.ts";
import { createS3Client, S3Source } from "../../src/storage/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-archive-it-"));
const bucket = `archive-images-${randomBytes(4).toString("hex")}`;
const repo = `it/archive-${randomBytes(4).toString("hex")}`;

interface Pushed {
  ref: string;
  layerDigests: string[];
  diffIds: string[];
  configDigest: string;
}

async function gzipFile(path: string): Promise<string> {
  await pipeline(createReadStream(path), createGzip(), createWriteStream(`${path}.gz`));
  return `${path}.gz`;
}

async function layerTar(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  const out = join(scratch, `${name}.tar`);
  // execFileSync, not run(): tar exits before run() writes its stdin (EPIPE).
  execFileSync("tar", ["-C", dir, "-cf", out, ...Object.keys(files)]);
  return out;
}

async function pushImage(host: string, tag: string, seed: string): Promise<Pushed> {
  const a = await layerTar(`${seed}-a`, { "a.txt": `layer a of ${seed}\n`, "rand.bin": randomBytes(300_000) });
  const b = await layerTar(`${seed}-b`, { "b.yaml": `kind: ConfigMap # ${seed}\n` });
  const ref = `${host}/${repo}:${tag}`;
  await run("crane", ["append", "--insecure", "-f", a, "-f", b, "-t", ref]);
  const manifest = JSON.parse((await run("crane", ["manifest", "--insecure", ref])).stdout) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const config = JSON.parse((await run("crane", ["config", "--insecure", ref])).stdout) as {
    rootfs: { diff_ids: string[] };
  };
  return {
    ref,
    layerDigests: manifest.layers.map((l) => l.digest),
    diffIds: config.rootfs.diff_ids,
    configDigest: manifest.config.digest,
  };
}

async function openFromS3(key: string, file: string): Promise<ImageArchive> {
  const { minio } = await testEnv();
  const admin = s3Client(minio);
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
  admin.destroy();
  const client = createS3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    accessKeyId: minio.accessKeyId,
    secretAccessKey: minio.secretAccessKey,
  });
  return openImageArchive(await S3Source.open({ client, bucket, key, ownsClient: true }));
}

/** Streams every layer (one pass), hashing it independently of the archive's own check. */
async function hashAll(archive: ImageArchive): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  const blobs = archive.images.flatMap((i) => i.layers);
  await archive.streamBlobs(
    blobs,
    async (blob, body) => {
      const h = createHash("sha256");
      for await (const chunk of body as AsyncIterable<Buffer>) h.update(chunk);
      hashes.set(blob.digest, `sha256:${h.digest("hex")}`);
    },
    { verifyDigest: true },
  );
  return hashes;
}

async function checkEveryLayer(archive: ImageArchive): Promise<void> {
  const hashes = await hashAll(archive);
  for (const image of archive.images) {
    for (const layer of image.layers)
      assert.equal(hashes.get(layer.digest), layer.digest, `${archive.description}: ${layer.member}`);
    assert.equal(`sha256:${createHash("sha256").update(image.config.bytes).digest("hex")}`, image.config.digest);
  }
}

describe("image archives from real tools, read through S3", () => {
  let one: Pushed;
  let two: Pushed;
  before(async () => {
    const { registries, minio } = await testEnv();
    const s3 = s3Client(minio);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    one = await pushImage(registries.anonymous.host, "v1", "one");
    two = await pushImage(registries.anonymous.host, "v2", "two");
  });

  for (const gzip of [false, true]) {
    const suffix = gzip ? " (gzip-wrapped)" : "";

    it(`skopeo docker-archive with several tags${suffix}`, async () => {
      const file = join(scratch, `skopeo-docker-${gzip}.tar`);
      await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        `docker://${one.ref}`,
        `docker-archive:${file}:example.com/app:v1`,
        "--additional-tag",
        "example.com/app:latest",
      ]);
      const archive = await openFromS3(`skopeo-docker-${gzip}.tar`, gzip ? await gzipFile(file) : file);
      try {
        assert.equal(archive.format, "docker-archive");
        assert.equal(archive.wrapping, gzip ? "gzip" : "none");
        assert.equal(archive.images.length, 1);
        const image = archive.images[0]!;
        assert.deepEqual(image.names.sort(), ["example.com/app:latest", "example.com/app:v1"]);
        assert.equal(image.config.digest, one.configDigest);
        // docker-archive stores layers uncompressed: their digests are the diff_ids.
        assert.deepEqual(
          image.layers.map((l) => [l.digest, l.compression]),
          one.diffIds.map((d) => [d, "none"]),
        );
        await checkEveryLayer(archive);
      } finally {
        await archive.close();
      }
    });

    it(`skopeo oci-archive${suffix}`, async () => {
      const file = join(scratch, `skopeo-oci-${gzip}.tar`);
      await run("skopeo", ["copy", "--src-tls-verify=false", `docker://${two.ref}`, `oci-archive:${file}:app:v2`]);
      const archive = await openFromS3(`skopeo-oci-${gzip}.tar`, gzip ? await gzipFile(file) : file);
      try {
        assert.equal(archive.format, "oci-archive");
        const image = archive.images[0]!;
        assert.deepEqual(image.names, ["app:v2"]);
        assert.ok(image.manifest);
        assert.deepEqual(
          image.layers.map((l) => [l.digest, l.compression]),
          two.layerDigests.map((d) => [d, "gzip"]),
        );
        await checkEveryLayer(archive);
      } finally {
        await archive.close();
      }
    });

    it(`crane tarball with two images${suffix}`, async () => {
      const file = join(scratch, `crane-tarball-${gzip}.tar`);
      await run("crane", ["pull", "--insecure", "--format=tarball", one.ref, two.ref, file]);
      const archive = await openFromS3(`crane-tarball-${gzip}.tar`, gzip ? await gzipFile(file) : file);
      try {
        assert.equal(archive.format, "docker-archive");
        assert.deepEqual(
          archive.images.map((i) => i.names),
          [[one.ref], [two.ref]],
        );
        assert.deepEqual(
          archive.images.map((i) => i.layers.map((l) => l.digest)),
          [one.layerDigests, two.layerDigests],
        );
        assert.deepEqual(
          archive.images[0]!.layers.map((l) => l.diffId),
          one.diffIds,
        );
        await checkEveryLayer(archive);
      } finally {
        await archive.close();
      }
    });

    it(`crane legacy format${suffix}`, async () => {
      const file = join(scratch, `crane-legacy-${gzip}.tar`);
      await run("crane", ["pull", "--insecure", "--format=legacy", one.ref, file]);
      const archive = await openFromS3(`crane-legacy-${gzip}.tar`, gzip ? await gzipFile(file) : file);
      try {
        assert.equal(archive.format, "docker-archive");
        assert.deepEqual(archive.images[0]!.names, [one.ref]);
        assert.deepEqual(
          archive.images[0]!.layers.map((l) => l.diffId),
          one.diffIds,
        );
        await checkEveryLayer(archive);
      } finally {
        await archive.close();
      }
    });
  }

  it("a multi-arch index copied with skopeo --all lists every platform's image under the index", async () => {
    const { registries } = await testEnv();
    const idx = `${registries.anonymous.host}/${repo}:multi`;
    await run("crane", ["index", "append", "--insecure", "-m", one.ref, "-m", two.ref, "-t", idx]);
    const file = join(scratch, "multi.tar");
    await run("skopeo", ["copy", "--all", "--src-tls-verify=false", `docker://${idx}`, `oci-archive:${file}:multi`]);
    const archive = await openFromS3("multi.tar", file);
    try {
      assert.equal(archive.indexes.length, 1);
      assert.deepEqual(archive.indexes[0]!.names, ["multi"]);
      assert.equal(archive.images.length, 2);
      // The tools rewrite manifests (Docker → OCI media types) but never layer bytes.
      const index = JSON.parse(archive.indexes[0]!.document.bytes.toString()) as { manifests: { digest: string }[] };
      assert.deepEqual(
        archive.images.map((i) => i.manifest?.digest),
        index.manifests.map((m) => m.digest),
      );
      assert.deepEqual(
        archive.images.map((i) => i.layers.map((l) => l.digest)).sort(),
        [one.layerDigests, two.layerDigests].sort(),
      );
      for (const image of archive.images) assert.equal(image.parents[0]?.digest, archive.indexes[0]!.document.digest);
      await checkEveryLayer(archive);
    } finally {
      await archive.close();
    }
  });
});
