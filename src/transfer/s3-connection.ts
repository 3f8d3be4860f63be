// The one place where S3 connection inputs become clients: an endpoint, access keys, a CA bundle, the addressing
// style and the operator's endpoint policy, as plain values, turned into an S3 client, or into an opened archive
// object for an import. Controllers and the CLI never hold an S3 client: they hand these values to the engine.
import type { S3Client } from "@aws-sdk/client-s3";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { createS3Client, type S3ConnectionConfig } from "../storage/s3-client.ts";
import { S3Source } from "../storage/s3-source.ts";

/** Where and how to reach a bucket store (endpoint, region, path style, keys, CA, TLS choice, endpoint policy). */
export type S3Connection = S3ConnectionConfig;

/** An S3 client for `connection`; destroy it with `client.destroy()` when done. */
export function openS3Client(connection: S3Connection): S3Client {
  return createS3Client(connection);
}

/** An archive object opened for reading: its identity (ETag, size) and the source the import reads. */
export interface OpenedS3Archive {
  /** Ranged reads pinned to `etag`; importArchive takes it over. */
  source: RandomAccessSource;
  etag: string;
  size: number;
  /** Releases the connection pool (whether or not the source was used). */
  close(): void;
}

/** What to open. */
export interface S3ArchiveRequest {
  connection: S3Connection;
  bucket: string;
  key: string;
  signal?: AbortSignal;
}

/** HEADs `s3://bucket/key` (size and ETag) over a client of its own; close the result when done. */
export async function openS3Archive(request: S3ArchiveRequest): Promise<OpenedS3Archive> {
  const client = openS3Client(request.connection);
  try {
    const source = await S3Source.open({ client, bucket: request.bucket, key: request.key, signal: request.signal });
    return { source, etag: source.etag, size: source.size, close: () => client.destroy() };
  } catch (err) {
    client.destroy();
    throw err;
  }
}
