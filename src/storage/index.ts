/**
 * Storage: S3-compatible object stores (MinIO, Ceph RGW, AWS) for the engine, with no Kubernetes in it.
 *
 * Reading (an archive in a bucket, never downloaded whole):
 *   const client = createS3Client({ endpoint, region, forcePathStyle, accessKeyId, secretAccessKey, caPem });
 *   const source = await S3Source.open({ client, bucket, key, signal });   // HEAD: size + ETag
 *   source.read(offset, length, signal)   // small bounded reads (tar headers, JSON), one ranged GET
 *   source.stream(offset, length, signal) // blob bodies, backpressure, resumed after a break
 * Every GET is pinned with `If-Match: <ETag>`: a replaced object fails with SourceChangedError (start over).
 * Bodies have an idle timeout (`idleTimeoutMs`); 5xx, throttling, resets and stalls are retried with capped
 * exponential backoff (`retry`, net's one rule: src/net/backoff.ts). S3Source implements the archive layer's
 * RandomAccessSource, so `openImageArchive(await S3Source.open(...))` lists an archive's images with a few small
 * ranged reads.
 *
 * Writing: `uploadStream({ client, bucket, key, body, partSize, beforeCommit })` puts a stream of unknown
 * length (one PUT below `partSize`, multipart above it, one part in memory at a time; a failed multipart upload
 * is aborted, and `beforeCommit` may veto the object, e.g. on a digest mismatch). `listPrefix`, `deletePrefix`
 * and `objectSize` manage a prefix (an OCI layout written by src/archive/layout-writer.ts).
 *
 * Errors (src/storage/errors.ts) carry a stable `code` and `transient`: SourceNotFoundError (NoSuchKey,
 * NoSuchBucket), AccessDeniedError (403, InvalidAccessKeyId, SignatureDoesNotMatch), SourceChangedError (412),
 * StorageUnavailableError (transient), StorageTlsError (certificate not trusted), StorageRequestError (other
 * permanent refusals).
 */
export { createS3Client, type S3ConnectionConfig } from "./s3-client.ts";
export { S3Source, type S3SourceOptions } from "./s3-source.ts";
export {
  uploadStream,
  listPrefix,
  deletePrefix,
  objectSize,
  MIN_PART_SIZE,
  type UploadOptions,
  type UploadResult,
  type PrefixOptions,
  type ListedObject,
} from "./s3-sink.ts";
export {
  StorageError,
  SourceNotFoundError,
  AccessDeniedError,
  SourceChangedError,
  StorageUnavailableError,
  StorageTlsError,
  StorageRequestError,
  classifyS3Error,
} from "./errors.ts";
