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
 * This loop picks a way (streamed.ts, in-memory.ts); they and it share the session (session.ts), never this file.
 */
import type { BlobSource, PushDescriptor, PushOptions } from "../../ocispec/content.ts";
import type { Descriptor } from "../../ocispec/descriptor.ts";
import type { RepositoryContext } from "../client.ts";
import { TransportError } from "../errors.ts";
import { uploadInMemory } from "./in-memory.ts";
import { SessionLost, UploadSession } from "./session.ts";
import { uploadStreamed, uploadStreamedUnsized } from "./streamed.ts";

/** Bytes per PATCH of an upload held in memory, unless the caller says otherwise. */
const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
/** Bytes per PATCH of a streamed upload, unless the caller says otherwise. */
const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;

/** One blob to push: what is known of it, where its bytes come from, and an upload the registry already opened. */
export interface BlobPush {
  expected: PushDescriptor;
  source: BlobSource;
  /** An upload session the registry opened already (a mount answered 202). */
  session?: URL | undefined;
}

/**
 * Pushes one blob; returns its descriptor (with the computed digest and size when they were not given). Lost
 * sessions restart the blob from 0.
 */
export async function pushBlob(ctx: RepositoryContext, blob: BlobPush, options: PushOptions = {}): Promise<Descriptor> {
  const s = new UploadSession(ctx, blob.expected, options);
  const maxRestarts = options.maxRestarts ?? 3;
  let session = blob.session;
  for (let restart = 0; ; restart++) {
    const opened = session ? { location: session, minChunk: 0 } : await s.open();
    session = undefined;
    try {
      return await uploadOnce(s, blob.source, opened);
    } catch (err) {
      if (!(err instanceof SessionLost)) throw err;
      // Sessions lost again and again mean a flaky path to the registry: a later attempt may well succeed.
      if (restart >= maxRestarts)
        throw new TransportError(
          `failed to push blob to ${ctx.repository}: upload session lost ${restart + 1} times`,
          "UPLOAD_SESSION_LOST",
        );
    }
  }
}

/** One attempt, in the way the source allows (see the file comment). */
function uploadOnce(
  s: UploadSession,
  source: BlobSource,
  opened: { location: URL; minChunk: number },
): Promise<Descriptor> {
  const streamed = s.options.reopenable === true;
  const chunkSize = Math.max(
    s.options.chunkSize ?? (streamed ? DEFAULT_SEGMENT_SIZE : DEFAULT_CHUNK_SIZE),
    opened.minChunk,
    1,
  );
  if (!streamed) return uploadInMemory(s, source, opened.location, chunkSize);
  return s.expected.size !== undefined
    ? uploadStreamed(s, source, opened.location, chunkSize)
    : uploadStreamedUnsized(s, source, opened.location);
}
