/**
 * Blob upload per the distribution spec (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs):
 * `POST` opens a session; the bytes go as `PATCH` requests with `Content-Range: start-end`, each to the latest
 * `Location`, then an empty `PUT ?digest=`. The digest is computed while the bytes flow.
 * Three ways to hold the bytes:
 * - streamed (the size is known and the caller says `source(offset)` can be opened again at any offset, e.g. a
 *   layer in an archive): a blob of known digest that fits in one segment goes in a single `PUT ?digest=`, else segments of
 *   `chunkSize` (default 64 MiB) flow from source to socket, nothing held; after a dropped connection,
 *   `GET <location>` tells the committed offset and the source is reopened at the segment's start, re-hashing up
 *   to that offset (the hash state of the segment's start is kept).
 * - streamed, size unknown (a layer compressed on the fly from a re-readable archive): one `PATCH` with a chunked
 *   body and no `Content-Range`, as `docker push` sends it; after a dropped connection the source is produced again
 *   from 0 (compression is deterministic), re-hashed up to the committed offset, and the rest sent the same way.
 * - in memory (a source that only reads once, e.g. a layer of a gzip-wrapped archive): chunks of `chunkSize`
 *   (default 4 MiB) are held until acknowledged and resent from memory; a blob that fits in one chunk goes in a
 *   single `PUT ?digest=`.
 * A purged session (404) restarts the blob from `source(0)`.
 */
import type { Readable } from "node:stream";
import type { CallOptions, RepositoryContext } from "./client.ts";
import type { Digest } from "./digest.ts";
import { TransportError } from "./errors.ts";
import type { Descriptor } from "./manifest.ts";
import { uploadInMemory } from "./upload-in-memory.ts";
import { SessionLost, UploadSession } from "./upload-session.ts";
import { uploadStreamed, uploadStreamedUnsized } from "./upload-streamed.ts";

export { committedFromRange } from "./upload-session.ts";

/** Opens the blob's bytes from an offset; called again to restart an upload. */
export type BlobSource = (offset: number) => Readable;

/** What the caller knows about the blob; a missing digest or size is computed while uploading. */
export interface PushDescriptor {
  mediaType?: string;
  digest?: Digest;
  size?: number;
}

export interface PushOptions extends CallOptions {
  /**
   * Bytes per PATCH, raised to the registry's `OCI-Chunk-Min-Length` (default 64 MiB streamed, 4 MiB in memory).
   * In memory, blobs that fit in one chunk go in one PUT.
   */
  chunkSize?: number;
  /** True when `source(offset)` really starts at `offset` and may be called again: the blob is streamed. */
  reopenable?: boolean;
  /** Bytes the registry has committed; never goes backwards. */
  onProgress?: (committed: number) => void;
  /** Restarts of the whole blob after a lost session (default 3). */
  maxRestarts?: number;
  /** Resume attempts within one chunk after failures (default 5). */
  maxResumes?: number;
}

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;

/**
 * Pushes one blob; returns its descriptor (with the computed digest and size when they were not given). `session`
 * is an upload the registry already opened (a mount answered 202). Lost sessions restart the blob from 0.
 */
export async function pushBlob(ctx: RepositoryContext, expected: PushDescriptor, source: BlobSource, options: PushOptions = {}, session?: URL): Promise<Descriptor> {
  const s = new UploadSession(ctx, expected, options);
  const maxRestarts = options.maxRestarts ?? 3;
  for (let restart = 0; ; restart++) {
    const opened = session ? { location: session, minChunk: 0 } : await s.open();
    session = undefined;
    const streamed = options.reopenable === true;
    const chunkSize = Math.max(options.chunkSize ?? (streamed ? DEFAULT_SEGMENT_SIZE : DEFAULT_CHUNK_SIZE), opened.minChunk, 1);
    try {
      if (!streamed) return await uploadInMemory(s, source, opened.location, chunkSize);
      return expected.size !== undefined ? await uploadStreamed(s, source, opened.location, chunkSize) : await uploadStreamedUnsized(s, source, opened.location);
    } catch (err) {
      // Sessions lost again and again mean a flaky path to the registry: a later attempt may well succeed.
      if (!(err instanceof SessionLost) || restart >= maxRestarts) {
        throw err instanceof SessionLost ? new TransportError(`failed to push blob to ${ctx.repository}: upload session lost ${restart + 1} times`, "UPLOAD_SESSION_LOST") : err;
      }
    }
  }
}
