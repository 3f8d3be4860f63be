// The S3 source and sink against a real MinIO: ranged reads, ETag pinning, typed errors, multipart uploads that
// leave nothing behind on failure, prefix helpers, a broken body resumed through a cutting proxy, and the OCI
// layout writer (checked by skopeo, the real consumer).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { run, testEnv, type MinioConnection } from "../env/index.ts";
import {
  AccessDeniedError,
  createS3Client,
  deletePrefix,
  listPrefix,
  S3Source,
  SourceChangedError,
  SourceNotFoundError,
  uploadStream,
} from "../../src/storage/index.ts";
import { S3LayoutStore } from "../../src/storage/s3-layout-store.ts";
import { BlobMismatchError, OciLayoutWriter } from "../../src/archive/index.ts";
import { digestOf as sha256Of } from "../../src/ocispec/digest.ts";

const bucket = `storage-${randomBytes(4).toString("hex")}`;

function clientFor(minio: MinioConnection, overrides: { endpoint?: string; secretAccessKey?: string } = {}): S3Client {
  return createS3Client({
    endpoint: overrides.endpoint ?? minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    accessKeyId: minio.accessKeyId,
    secretAccessKey: overrides.secretAccessKey ?? minio.secretAccessKey,
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** A generator stream of `size` random-ish bytes that fails after `failAt` bytes when given. */
function bytesStream(data: Buffer, failAt?: number): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let off = 0; off < data.length; off += 1 << 20) {
      if (failAt !== undefined && off >= failAt) throw new Error("source broke");
      yield data.subarray(off, Math.min(data.length, off + (1 << 20)));
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

describe("S3 source and sink against MinIO", () => {
  let client: S3Client;
  let minio: MinioConnection;
  const data = randomBytes(3 << 20);

  before(async () => {
    minio = (await testEnv()).minio;
    client = clientFor(minio);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "obj.bin", Body: data }));
  });
  after(() => client.destroy());

  it("serves ranged reads and streams of exactly the asked bytes", async () => {
    const source = await S3Source.open({ client, bucket, key: "obj.bin" });
    assert.equal(source.size, data.length);
    assert.match(source.etag, /^".+"$/);
    assert.deepEqual(await source.read(12345, 512), data.subarray(12345, 12345 + 512));
    assert.deepEqual(await source.read(data.length - 3, 3), data.subarray(data.length - 3));
    assert.deepEqual(await collect(source.stream(1000, 2 << 20)), data.subarray(1000, 1000 + (2 << 20)));
    assert.equal((await collect(source.stream(5, 0))).length, 0);
    assert.throws(() => source.stream(data.length - 1, 2), RangeError);
  });

  it("fails with SourceChangedError once the object is replaced", async () => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "changing.bin", Body: data }));
    const source = await S3Source.open({ client, bucket, key: "changing.bin" });
    await source.read(0, 10);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: "changing.bin", Body: randomBytes(100) }));
    await assert.rejects(
      source.read(0, 10),
      (err: SourceChangedError) => err instanceof SourceChangedError && err.code === "SOURCE_CHANGED" && !err.transient,
    );
    await assert.rejects(collect(source.stream(0, 1000)), SourceChangedError);
  });

  it("gives SourceNotFoundError for a wrong key or bucket and AccessDeniedError for wrong credentials", async () => {
    await assert.rejects(
      S3Source.open({ client, bucket, key: "nope.tar" }),
      (err: SourceNotFoundError) => err instanceof SourceNotFoundError && err.code === "SOURCE_NOT_FOUND",
    );
    await assert.rejects(S3Source.open({ client, bucket: `${bucket}-missing`, key: "obj.bin" }), SourceNotFoundError);
    const bad = clientFor(minio, { secretAccessKey: "wrong-secret-key-0000" });
    await assert.rejects(
      S3Source.open({ client: bad, bucket, key: "obj.bin" }),
      (err: AccessDeniedError) => err instanceof AccessDeniedError && err.code === "ACCESS_DENIED" && !err.transient,
    );
    bad.destroy();
  });

  it("uploads small streams in one PUT and large ones in parts", async () => {
    const small = await uploadStream({
      client,
      bucket,
      key: "up/small.bin",
      body: bytesStream(data.subarray(0, 1000)),
    });
    assert.deepEqual([small.size, small.parts], [1000, 1]);
    const big = randomBytes(12 << 20);
    const res = await uploadStream({ client, bucket, key: "up/big.bin", body: bytesStream(big), partSize: 5 << 20 });
    assert.deepEqual([res.size, res.parts], [big.length, 3]);
    const source = await S3Source.open({ client, bucket, key: "up/big.bin" });
    assert.equal(sha256Of(await collect(source.stream(0, source.size))), sha256Of(big));
  });

  it("aborts a failed multipart upload: no object and no pending parts remain", async () => {
    const big = randomBytes(12 << 20);
    await assert.rejects(
      uploadStream({ client, bucket, key: "up/broken.bin", body: bytesStream(big, 11 << 20), partSize: 5 << 20 }),
      /source broke/,
    );
    await assert.rejects(S3Source.open({ client, bucket, key: "up/broken.bin" }), SourceNotFoundError);
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "up/broken.bin" }));
    assert.equal(pending.Uploads?.length ?? 0, 0);
  });

  it("lists and deletes a prefix", async () => {
    for (let i = 0; i < 5; i++)
      await uploadStream({ client, bucket, key: `del/${i}.txt`, body: Readable.from([Buffer.from(String(i))]) });
    assert.deepEqual(
      (await listPrefix(client, bucket, "del/")).map((o) => o.key),
      ["del/0.txt", "del/1.txt", "del/2.txt", "del/3.txt", "del/4.txt"],
    );
    assert.equal(await deletePrefix(client, bucket, "del/"), 5);
    assert.deepEqual(await listPrefix(client, bucket, "del/"), []);
  });

  it("resumes a body cut mid-stream with a new ranged GET from the byte reached", async () => {
    // A TCP proxy that cuts the first response after ~256 KiB; later connections pass untouched.
    const target = new URL(minio.endpoint);
    let cuts = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((down) => {
      const up = connect(Number(target.port), target.hostname);
      sockets.add(down).add(up);
      let relayed = 0;
      const cutThis = cuts === 0;
      up.on("data", (chunk: Buffer) => {
        relayed += chunk.length;
        if (cutThis && relayed > 256 << 10) {
          cuts++;
          down.destroy();
          up.destroy();
          return;
        }
        down.write(chunk);
      });
      down.on("data", (chunk: Buffer) => up.write(chunk));
      down.on("error", () => up.destroy());
      up.on("error", () => down.destroy());
      down.on("close", () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const port = (proxy.address() as { port: number }).port;
    const viaProxy = clientFor(minio, { endpoint: `http://127.0.0.1:${port}` });
    try {
      const head = await S3Source.open({ client, bucket, key: "obj.bin" });
      cuts = 0;
      const source = await S3Source.open({
        client: viaProxy,
        bucket,
        key: "obj.bin",
        retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50 },
      });
      assert.equal(source.etag, head.etag);
      const got = await collect(source.stream(0, source.size));
      assert.equal(sha256Of(got), sha256Of(data));
      assert.equal(cuts, 1, "the proxy cut one response");
      assert.ok(source.stats.resumes >= 1, `resumed: ${JSON.stringify(source.stats)}`);
    } finally {
      viaProxy.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it("writes an OCI layout to S3 and to a folder; skips present blobs; refuses a blob that does not match", async () => {
    const layer = Buffer.from("not really a tar, but a blob");
    const config = Buffer.from(
      JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256Of(layer)] } }),
    );
    const manifest = (configDigest: string): Buffer =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
          layers: [
            { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256Of(layer), size: layer.length },
          ],
        }),
      );
    const dir = join(mkdtempSync(join(tmpdir(), "airlift-layout-")), "layout");
    for (const writer of [
      new OciLayoutWriter(new S3LayoutStore({ client, bucket, prefix: "layout/app" })),
      OciLayoutWriter.toDirectory(dir),
    ]) {
      assert.equal(
        await writer.writeBlob({ digest: sha256Of(layer), size: layer.length }, () => Readable.from([layer])),
        true,
      );
      assert.equal(
        await writer.writeBlob({ digest: sha256Of(layer), size: layer.length }, () => Readable.from([layer])),
        false,
        "skipped",
      );
      await assert.rejects(
        writer.writeBlob({ digest: sha256Of(Buffer.from("other")), size: layer.length }, () => Readable.from([layer])),
        BlobMismatchError,
      );
      const configDigest = await writer.writeBlobBytes(config);
      const m = manifest(configDigest);
      const manifestDigest = await writer.writeBlobBytes(m);
      writer.addManifest({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifestDigest,
        size: m.length,
        annotations: { "org.opencontainers.image.ref.name": "v1" },
      });
      await writer.finish();
    }
    const keys = (await listPrefix(client, bucket, "layout/app/")).map((o) => o.key);
    assert.equal(keys.length, 5, keys.join(", "));
    assert.ok(keys.includes("layout/app/index.json") && keys.includes("layout/app/oci-layout"));
    // skopeo, a real consumer, reads the local layout.
    const inspected = JSON.parse((await run("skopeo", ["inspect", "--raw", `oci:${dir}:v1`])).stdout) as {
      layers: { digest: string }[];
    };
    assert.equal(inspected.layers[0]?.digest, sha256Of(layer));
  });
});
