// Hostile and broken archives, end to end: stored in MinIO, opened through an S3Source, layers pushed to and
// pulled from a real registry with crane. Each must end in a precise typed error and leave nothing behind.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import tar from "tar-stream";
import { run, s3Client, testEnv } from "../env/index.ts";
import {
  BlobMismatchError,
  ExtractionRefusedError,
  FileSource,
  InvalidArchiveError,
  extractLayers,
  indexTar,
  openImageArchive,
  type ImageArchive,
} from "../../src/archive/index.ts";
import { createS3Client, S3Source } from "../../src/storage/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-hostile-it-"));
const bucket = `archive-hostile-${randomBytes(4).toString("hex")}`;
const repo = `it/hostile-${randomBytes(4).toString("hex")}`;

type Entry = {
  name: string;
  type?: "file" | "directory" | "symlink" | "link";
  linkname?: string;
  data?: Buffer | string;
};

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? "file", ...(e.linkname ? { linkname: e.linkname } : {}) };
    if ((e.type ?? "file") === "file") pack.entry(header, Buffer.from(e.data ?? "x"));
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function openFromS3(key: string, bytes: Buffer): Promise<ImageArchive> {
  const { minio } = await testEnv();
  const admin = s3Client(minio);
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
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

/** Pushes an image whose one layer is `layer` with crane, pulls it back as a crane tarball. */
async function imageWithLayer(name: string, layer: Buffer): Promise<Buffer> {
  const { registries } = await testEnv();
  const file = join(scratch, `${name}.layer`);
  writeFileSync(file, layer);
  const ref = `${registries.anonymous.host}/${repo}:${name}`;
  await run("crane", ["append", "--insecure", "-f", file, "-t", ref]);
  const out = join(scratch, `${name}.tar`);
  await run("crane", ["pull", "--insecure", "--format=tarball", ref, out]);
  return readFileSync(out);
}

async function extractRefused(name: string, layer: Buffer, reason: string, options = {}): Promise<void> {
  const archive = await openFromS3(`${name}.tar`, await imageWithLayer(name, layer));
  const parent = mkdtempSync(join(scratch, `${name}-out-`));
  try {
    const layers = archive.images[0]!.layers.map((l) => ({
      open: (signal?: AbortSignal) => l.open(signal ? { signal } : {}),
      annotations: l.annotations,
    }));
    await assert.rejects(extractLayers(layers, join(parent, "root"), options), (err: unknown) => {
      assert.ok(err instanceof ExtractionRefusedError, `${name}: ${String(err)}`);
      assert.equal(err.reason, reason);
      return true;
    });
    assert.deepEqual(readdirSync(parent), [], "nothing left behind");
  } finally {
    await archive.close();
  }
}

describe("hostile archives through S3", () => {
  let good: Buffer;
  before(async () => {
    const { minio } = await testEnv();
    const s3 = s3Client(minio);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    good = await imageWithLayer("good", await tarOf([{ name: "hello.txt", data: "hello\n" }]));
  });

  it("a truncated archive, plain or gzip-wrapped, is InvalidArchiveError", async () => {
    const cut = good.subarray(0, Math.floor(good.length * 0.6));
    await assert.rejects(
      openFromS3("truncated.tar", cut),
      (err: InvalidArchiveError) => err instanceof InvalidArchiveError && /truncated|missing/i.test(err.message),
    );
    const gzCut = gzipSync(good).subarray(0, 400);
    await assert.rejects(
      openFromS3("truncated.tar.gz", gzCut),
      (err: InvalidArchiveError) => err instanceof InvalidArchiveError && err.code === "TRUNCATED",
    );
  });

  it("an archive without manifest.json or index.json is MISSING_MANIFEST", async () => {
    const bytes = await tarOf([
      { name: "repositories", data: "{}" },
      { name: "abc/layer.tar", data: "x" },
    ]);
    await assert.rejects(
      openFromS3("nomanifest.tar", bytes),
      (err: InvalidArchiveError) => err.code === "MISSING_MANIFEST",
    );
    await assert.rejects(
      openFromS3("nomanifest.tar.gz", gzipSync(bytes)),
      (err: InvalidArchiveError) => err.code === "MISSING_MANIFEST",
    );
  });

  it("malformed manifest.json is MALFORMED_JSON", async () => {
    await assert.rejects(
      openFromS3("badjson.tar", await tarOf([{ name: "manifest.json", data: "[{" }])),
      (err: InvalidArchiveError) => err.code === "MALFORMED_JSON",
    );
  });

  it("a layer whose bytes do not match its digest fails the stream with BlobMismatchError", async () => {
    const file = join(scratch, "tampered.tar");
    const bytes = Buffer.from(good);
    writeFileSync(file, bytes);
    const source = await FileSource.open(file);
    const layerEntry = (await indexTar(source)).find((e) => e.name.endsWith(".tar.gz"))!;
    await source.close();
    bytes[layerEntry.offset + layerEntry.size - 10]! ^= 0xff;
    const archive = await openFromS3("tampered.tar", bytes);
    try {
      await assert.rejects(
        archive.streamBlobs(
          archive.images[0]!.layers,
          async (_blob, body) => {
            for await (const _ of body) {
              // read it all
            }
          },
          { verifyDigest: true },
        ),
        (err: BlobMismatchError) =>
          err instanceof BlobMismatchError && err.expected === archive.images[0]!.layers[0]!.digest,
      );
    } finally {
      await archive.close();
    }
  });

  it("a layer with ../../etc/x is refused (PathTraversal)", async () => {
    await extractRefused(
      "traversal",
      await tarOf([{ name: "ok.txt" }, { name: "../../etc/x", data: "pwned" }]),
      "PathTraversal",
    );
  });

  it("a layer with an absolute path is refused (PathTraversal)", async () => {
    await extractRefused("absolute", await tarOf([{ name: "/etc/x", data: "pwned" }]), "PathTraversal");
  });

  it("a symlink escape, and a write through a symlink, are refused (SymlinkEscape)", async () => {
    await extractRefused(
      "symlink-escape",
      await tarOf([
        { name: "etc", type: "symlink", linkname: "../../../../../etc" },
        { name: "etc/x", data: "pwned" },
      ]),
      "SymlinkEscape",
    );
    await extractRefused(
      "write-through",
      await tarOf([{ name: "d", type: "directory" }, { name: "in", type: "symlink", linkname: "d" }, { name: "in/x" }]),
      "SymlinkEscape",
    );
  });

  it("a hardlink escape is refused (SymlinkEscape)", async () => {
    await extractRefused(
      "hardlink-escape",
      await tarOf([{ name: "passwd", type: "link", linkname: "../../../etc/passwd" }]),
      "SymlinkEscape",
    );
  });

  it("a gzip bomb stops at the size cap (SizeLimit)", async () => {
    const bomb = gzipSync(await tarOf([{ name: "zeros", data: Buffer.alloc(64 << 20) }]), { level: 9 });
    assert.ok(bomb.length < 256 << 10);
    await extractRefused("bomb", bomb, "SizeLimit", { maxTotalBytes: 8 << 20 });
  });

  it("a good image extracts", async () => {
    const archive = await openFromS3("good.tar", good);
    try {
      const target = join(mkdtempSync(join(scratch, "good-")), "root");
      const result = await extractLayers(
        archive.images[0]!.layers.map((l) => ({ open: () => l.open({ verifyDigest: true }) })),
        target,
      );
      assert.deepEqual(result.files, [{ path: "hello.txt", size: 6, type: "file" }]);
    } finally {
      await archive.close();
    }
  });
});
