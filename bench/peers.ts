// The peers airlift is measured against, each doing the same job end to end: bucket object → registry image.
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { request } from "undici";
import { measure, timeIt, type Measurement } from "./measure.ts";

const PART = 64 << 20;

/** Puts a local file into the bucket with a multipart upload (setup, not measured). */
export async function putFile(s3: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const { size } = await stat(path);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { ETag: string; PartNumber: number }[] = [];
  for (let offset = 0, n = 1; offset < size; offset += PART, n++) {
    const end = Math.min(size, offset + PART);
    const res = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: n,
        Body: createReadStream(path, { start: offset, end: end - 1 }),
        ContentLength: end - offset,
      }),
    );
    parts.push({ ETag: res.ETag ?? "", PartNumber: n });
  }
  await s3.send(
    new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
  );
}

/** Sum of the layer sizes the registry stores for `repository:tag` (what pulling it moves). */
export async function storedLayerBytes(registryUrl: string, repository: string, tag: string): Promise<number> {
  const res = await request(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
    headers: {
      accept: [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
      ].join(", "),
    },
  });
  const manifest = (await res.body.json()) as { layers?: { size: number }[] };
  return (manifest.layers ?? []).reduce((sum, l) => sum + l.size, 0);
}

async function download(s3: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  await pipeline(res.Body as Readable, createWriteStream(path));
}

/** skopeo: download the archive (as the runbook's `gdcloud cp` does), then `skopeo copy docker-archive:`. */
export async function skopeoPeer(
  s3: S3Client,
  bucket: string,
  key: string,
  localPath: string,
  dest: string,
): Promise<Measurement> {
  const dl = await timeIt("download", () => download(s3, bucket, key, localPath));
  const copy = await measure("skopeo", "skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    `docker-archive:${localPath}`,
    `docker://${dest}`,
  ]);
  return {
    label: "skopeo copy (incl. download)",
    wallSeconds: dl.wallSeconds + copy.wallSeconds,
    cpuSeconds: dl.cpuSeconds + copy.cpuSeconds,
    peakRssMiB: copy.peakRssMiB,
  };
}

/** crane: download, then `crane push` of the tarball. */
export async function cranePeer(
  s3: S3Client,
  bucket: string,
  key: string,
  localPath: string,
  dest: string,
): Promise<Measurement> {
  const dl = await timeIt("download", () => download(s3, bucket, key, localPath));
  const push = await measure("crane", "crane", ["push", "--insecure", localPath, dest]);
  return {
    label: "crane push (incl. download)",
    wallSeconds: dl.wallSeconds + push.wallSeconds,
    cpuSeconds: dl.cpuSeconds + push.cpuSeconds,
    peakRssMiB: push.peakRssMiB,
  };
}

/**
 * The raw limit: stream the object out of MinIO and into the registry as one blob, with no parsing, hashing or
 * compression (the digest is known beforehand).
 */
export async function rawLimit(
  s3: S3Client,
  bucket: string,
  key: string,
  registryUrl: string,
  repository: string,
  digest: string,
): Promise<Measurement> {
  return timeIt("raw limit (one blob, no processing)", async () => {
    const start = await request(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: "POST" });
    await start.body.dump();
    const location = new URL(String(start.headers.location), registryUrl);
    location.searchParams.set("digest", digest);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const put = await request(location, {
      method: "PUT",
      body: object.Body as Readable,
      headers: { "content-type": "application/octet-stream", "content-length": String(object.ContentLength ?? 0) },
    });
    const text = await put.body.text();
    if (put.statusCode !== 201) throw new Error(`raw upload failed: ${put.statusCode} ${text}`);
  });
}
