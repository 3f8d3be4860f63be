// The one place where S3 connection inputs become clients: an endpoint, access keys, a CA bundle, the addressing
// style and the operator's endpoint policy, as plain values, turned into an S3 client, or into an opened archive
// object for an import. Controllers and the CLI never hold an S3 client: they hand these values to the engine.
import type { S3Client } from "@aws-sdk/client-s3";
import { secretIdentity, settingsIdentity, sharedConnections, type Lease } from "../net/connection-cache.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { createS3Client, type S3ConnectionConfig } from "../storage/s3-client.ts";
import { S3Source } from "../storage/s3-source.ts";

/** Where and how to reach a bucket store (endpoint, region, path style, keys, CA, TLS choice, endpoint policy). */
export type S3Connection = S3ConnectionConfig;

/** An S3 client for `connection`; destroy it with `client.destroy()` when done. */
export function openS3Client(connection: S3Connection): S3Client {
  return createS3Client(connection);
}

/** Sockets of an S3 client, which concurrent reconciles share when the operator shares pools. */
const POOL_SOCKETS = 32;

/**
 * The S3 client for this endpoint, keys and trust: shared across reconciles in the operator (net/connection-cache.ts),
 * else one of its own. Release it when done (never destroy a leased client).
 */
export function leaseS3Client(connection: S3Connection): Lease<S3Client> {
  const c = connection;
  const key = [
    `s3 ${c.endpoint} region=${c.region ?? "-"} pathStyle=${c.forcePathStyle ?? "-"}`,
    `credentials=${secretIdentity(c.accessKeyId, c.secretAccessKey, c.sessionToken)}`,
    `timeouts=${c.connectTimeoutMs ?? "-"}/${c.requestTimeoutMs ?? "-"} sockets=${c.maxSockets ?? POOL_SOCKETS}`,
    settingsIdentity(c),
  ].join(" ");
  return sharedConnections.acquire(
    key,
    () => openS3Client({ ...c, maxSockets: c.maxSockets ?? POOL_SOCKETS }),
    (client) => client.destroy(),
  );
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

/** HEADs `s3://bucket/key` (size and ETag) over a leased client (leaseS3Client); close the result when done. */
export async function openS3Archive(request: S3ArchiveRequest): Promise<OpenedS3Archive> {
  const lease = leaseS3Client(request.connection);
  try {
    const client = lease.value;
    const source = await S3Source.open({ client, bucket: request.bucket, key: request.key, signal: request.signal });
    return { source, etag: source.etag, size: source.size, close: () => void lease.release() };
  } catch (err) {
    void lease.release();
    throw err;
  }
}
