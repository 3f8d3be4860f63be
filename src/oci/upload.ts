/**
 * Blob upload per the distribution spec (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs):
 * `POST` opens a session; the bytes go as `PATCH` requests with `Content-Range: start-end`, each to the latest
 * `Location`, then an empty `PUT ?digest=`. The digest is computed while the bytes flow.
 * Two ways to hold the bytes:
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
import { ChunkReader } from "./chunk-reader.ts";
import { StreamCursor } from "./stream-cursor.ts";
import { locationOf, repoRequest, repoUrl, type CallOptions, type RepositoryContext } from "./client.ts";
import { Digester, parseDigest, type Digest } from "./digest.ts";
import { DigestMismatchError, TransportError, isTransientNetworkError } from "./errors.ts";
import { discard, header, type HttpRequest, type HttpResponse } from "./http.ts";
import type { Descriptor } from "./manifest.ts";
import { errorFromResponse } from "./response-errors.ts";

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

/** The registry lost the session (404, or it refused the state): the blob starts over. */
class SessionLost extends Error {}

/** The registry did not take a segment (416, or a token expired mid-stream): ask it where the upload stands. */
class ResumeNeeded extends Error {}

const sessionLostCodes = new Set(["BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"]);

/** `Range: 0-<end>` → bytes committed. Distribution answers `0-0` for an empty session, so 0-0 counts as none. */
export function committedFromRange(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(?:bytes=)?0-(\d+)$/.exec(value.trim());
  if (!match) return undefined;
  const end = Number(match[1]);
  return end === 0 ? 0 : end + 1;
}

/** One blob upload: state of the current session and of the source stream. */
class Upload {
  readonly #ctx: RepositoryContext;
  readonly #expected: PushDescriptor;
  readonly #options: PushOptions;
  readonly #signal: AbortSignal | undefined;
  #reported = 0;

  constructor(ctx: RepositoryContext, expected: PushDescriptor, options: PushOptions) {
    this.#ctx = ctx;
    this.#expected = expected;
    this.#options = options;
    this.#signal = options.signal;
    if (expected.digest !== undefined) parseDigest(expected.digest);
  }

  #progress(committed: number): void {
    if (committed <= this.#reported) return;
    this.#reported = committed;
    this.#options.onProgress?.(committed);
  }

  async #send(method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE" | "HEAD", url: URL, init: { headers?: Record<string, string>; body?: HttpRequest["body"]; idempotent?: boolean } = {}): Promise<HttpResponse> {
    return repoRequest(this.#ctx, method, url, { ...init, signal: this.#signal, actions: "pull,push" });
  }

  async #open(): Promise<{ location: URL; minChunk: number }> {
    const res = await this.#send("POST", repoUrl(this.#ctx, "blobs/uploads/"), { headers: { "content-length": "0" } });
    const location = locationOf(res);
    if (res.status !== 202 || location === undefined) throw await errorFromResponse(res, `start blob upload to ${this.#ctx.repository}`);
    await discard(res);
    return { location, minChunk: Number(header(res, "oci-chunk-min-length") ?? 0) || 0 };
  }

  /** Pushes the blob, restarting after lost sessions. `session` is an upload the registry already opened (mount 202). */
  async run(source: BlobSource, session?: URL): Promise<Descriptor> {
    const maxRestarts = this.#options.maxRestarts ?? 3;
    for (let restart = 0; ; restart++) {
      const opened = session ? { location: session, minChunk: 0 } : await this.#open();
      session = undefined;
      const streamed = this.#options.reopenable === true;
      const chunkSize = Math.max(this.#options.chunkSize ?? (streamed ? DEFAULT_SEGMENT_SIZE : DEFAULT_CHUNK_SIZE), opened.minChunk, 1);
      try {
        if (!streamed) return await this.#inMemory(source, opened.location, chunkSize);
        return this.#expected.size !== undefined ? await this.#streamed(source, opened.location, chunkSize) : await this.#streamedUnsized(source, opened.location);
      } catch (err) {
        // Sessions lost again and again mean a flaky path to the registry: a later attempt may well succeed.
        if (!(err instanceof SessionLost) || restart >= maxRestarts) {
          throw err instanceof SessionLost ? new TransportError(`failed to push blob to ${this.#ctx.repository}: upload session lost ${restart + 1} times`, "UPLOAD_SESSION_LOST") : err;
        }
      }
    }
  }

  async #inMemory(source: BlobSource, start: URL, chunkSize: number): Promise<Descriptor> {
    const reader = new ChunkReader(source(0), chunkSize);
    try {
      return await this.#attempt(reader, start);
    } finally {
      await reader.close();
    }
  }

  /** Streams the blob (size known) in segments of `segment` bytes straight from `source`; see the file comment. */
  async #streamed(source: BlobSource, start: URL, segment: number): Promise<Descriptor> {
    const size = this.#expected.size ?? 0;
    let digester = new Digester(this.#expected.digest ? parseDigest(this.#expected.digest).algorithm : "sha256");
    let cursor = new StreamCursor(source(0), (piece) => digester.update(piece));
    let location = start;
    try {
      if (this.#expected.digest !== undefined && size <= segment) {
        // One request: the registry checks the digest before it commits anything.
        const whole = { mediaType: this.#expected.mediaType ?? "application/octet-stream", digest: this.#expected.digest, size };
        try {
          await this.#commit(location, whole, cursor.take(size), cursor);
        } catch (err) {
          // Our own verdict on bytes that do not match is clearer than the registry's DIGEST_INVALID.
          if (cursor.position === size) this.#descriptor(digester.copy());
          throw err;
        }
        if (!(await cursor.atEnd())) this.#checkSize(size + 1);
        return this.#descriptor(digester);
      }
      for (let segStart = 0; segStart < size; ) {
        const segEnd = Math.min(size, segStart + segment);
        const rewind = digester.copy();
        let committed = segStart;
        for (let attempt = 0; committed < segEnd; attempt++) {
          try {
            ({ location, committed } = await this.#sendSegment(location, cursor, committed, segEnd));
            if (committed === segEnd) break;
          } catch (err) {
            if (err instanceof SessionLost || !(isTransientNetworkError(err) || err instanceof ResumeNeeded)) throw err;
          }
          if (attempt >= (this.#options.maxResumes ?? 5)) throw new TransportError(`failed to push blob to ${this.#ctx.repository}: bytes at ${segStart} not accepted after ${attempt + 1} attempts`, "UPLOAD_CHUNK_FAILED");
          ({ location, offset: committed } = await this.#status(location));
          if (committed < segStart || committed > segEnd) throw new SessionLost(); // bytes before the segment are gone
          // Back to the segment's start: hash state and source; the bytes the registry holds are only hashed.
          await cursor.close();
          const restored = rewind.copy();
          digester = restored;
          cursor = new StreamCursor(source(segStart), (piece) => restored.update(piece));
          cursor.position = segStart;
          if ((await cursor.skip(committed - segStart)) !== committed - segStart) this.#short(cursor.position);
        }
        this.#progress(segEnd);
        segStart = segEnd;
      }
      if (!(await cursor.atEnd())) this.#checkSize(size + 1);
      const desc = this.#descriptor(digester);
      await this.#commit(location, desc, "");
      return desc;
    } finally {
      await cursor.close();
    }
  }

  /** Streams a blob of unknown size in chunked PATCH bodies; see the file comment. */
  async #streamedUnsized(source: BlobSource, start: URL): Promise<Descriptor> {
    let digester = new Digester(this.#expected.digest ? parseDigest(this.#expected.digest).algorithm : "sha256");
    let cursor = new StreamCursor(source(0), (piece) => digester.update(piece));
    let location = start;
    let committed = 0;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await this.#send("PATCH", location, {
            headers: { "content-type": "application/octet-stream" },
            body: cursor.take(Number.POSITIVE_INFINITY),
            idempotent: false,
          });
          if (res.status === 202) {
            await discard(res);
            location = locationOf(res) ?? location;
            committed = committedFromRange(header(res, "range")) ?? cursor.position;
            this.#checkSize(cursor.position);
            if (committed === cursor.position) break;
          } else if (res.status === 416 || res.status === 401) {
            await discard(res);
          } else {
            await this.#failure(res, "send blob");
          }
        } catch (err) {
          if (err instanceof SessionLost || !isTransientNetworkError(err)) throw err;
        }
        if (attempt >= (this.#options.maxResumes ?? 5)) throw new TransportError(`failed to push blob to ${this.#ctx.repository}: not accepted after ${attempt + 1} attempts`, "UPLOAD_CHUNK_FAILED");
        ({ location, offset: committed } = await this.#status(location));
        // The bytes sent past the committed offset are gone: produce the source again, hashing up to there.
        await cursor.close();
        const fresh = new Digester(digester.algorithm);
        digester = fresh;
        cursor = new StreamCursor(source(0), (piece) => fresh.update(piece));
        if ((await cursor.skip(committed)) !== committed) throw new SessionLost(); // the source no longer reaches it
        this.#progress(committed);
      }
      const desc = this.#descriptor(digester);
      await this.#commit(location, desc, "");
      return desc;
    } finally {
      await cursor.close();
    }
  }

  /** One PATCH of [from, to) read from `cursor`; a short source is a size mismatch, a refused one a resume. */
  async #sendSegment(location: URL, cursor: StreamCursor, from: number, to: number): Promise<{ location: URL; committed: number }> {
    let res: HttpResponse;
    try {
      res = await this.#send("PATCH", location, {
        headers: { "content-type": "application/octet-stream", "content-range": `${from}-${to - 1}`, "content-length": String(to - from) },
        body: cursor.take(to - from),
        idempotent: false,
      });
    } catch (err) {
      if (cursor.exhausted) this.#short(cursor.position);
      throw err;
    }
    if (cursor.exhausted && cursor.position < to) {
      await discard(res);
      this.#short(cursor.position);
    }
    if (res.status === 202) {
      await discard(res);
      const ranged = committedFromRange(header(res, "range"));
      const committed = ranged === 0 && to === 1 ? 1 : (ranged ?? to);
      return { location: locationOf(res) ?? location, committed };
    }
    if (res.status === 416 || res.status === 401) {
      await discard(res); // our offset disagrees with the registry's, or a token expired mid-upload: ask the registry
      throw new ResumeNeeded();
    }
    return this.#failure(res, "send blob chunk");
  }

  async #attempt(reader: ChunkReader, start: URL): Promise<Descriptor> {
    const digester = new Digester(this.#expected.digest ? parseDigest(this.#expected.digest).algorithm : "sha256");
    let location = start;
    let chunk = await reader.read();
    let next = chunk && chunk.byteLength === reader.chunkSize ? await reader.read() : undefined;
    if (chunk && next === undefined) {
      // The whole blob fits in one chunk: one PUT carries it.
      digester.update(chunk);
      const desc = this.#descriptor(digester);
      await this.#commit(location, desc, chunk);
      return desc;
    }
    let committed = 0;
    while (chunk) {
      digester.update(chunk);
      this.#checkSize(digester.size);
      ({ location, committed } = await this.#patch(location, chunk, committed));
      this.#progress(committed);
      chunk = next;
      next = chunk ? await reader.read() : undefined;
    }
    const desc = this.#descriptor(digester);
    await this.#commit(location, desc, "");
    return desc;
  }

  /** The source ended before the expected size. */
  #short(position: number): never {
    const size = this.#expected.size ?? 0;
    throw new DigestMismatchError(`blob source gave ${position} bytes, expected ${size}`, `${size} bytes`, `${position} bytes`);
  }

  #checkSize(seen: number): void {
    const size = this.#expected.size;
    if (size !== undefined && seen > size) throw new DigestMismatchError(`blob source gave more than the expected ${size} bytes`, `${size} bytes`, `>${size} bytes`);
  }

  #descriptor(digester: Digester): Descriptor {
    const { size, digest: expectedDigest } = this.#expected;
    const digest = digester.digest();
    if (size !== undefined && digester.size !== size) throw new DigestMismatchError(`blob source gave ${digester.size} bytes, expected ${size}`, `${size} bytes`, `${digester.size} bytes`);
    if (expectedDigest !== undefined && digest !== expectedDigest) throw new DigestMismatchError(`blob source does not match ${expectedDigest}`, expectedDigest, digest);
    return { mediaType: this.#expected.mediaType ?? "application/octet-stream", digest, size: digester.size };
  }

  /** Sends one chunk, resuming from the committed range after failures. */
  async #patch(start: URL, chunk: Buffer, chunkStart: number): Promise<{ location: URL; committed: number }> {
    let location = start;
    let offset = chunkStart;
    const chunkEnd = chunkStart + chunk.byteLength;
    const maxResumes = this.#options.maxResumes ?? 5;
    for (let attempt = 0; ; attempt++) {
      const part = chunk.subarray(offset - chunkStart);
      try {
        const res = await this.#send("PATCH", location, {
          headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + part.byteLength - 1}`, "content-length": String(part.byteLength) },
          body: part,
          idempotent: false,
        });
        if (res.status === 202) {
          await discard(res);
          location = locationOf(res) ?? location;
          const ranged = committedFromRange(header(res, "range"));
          // `0-0` after sending the blob's first byte means one byte committed.
          offset = ranged === 0 && offset + part.byteLength === 1 ? 1 : (ranged ?? offset + part.byteLength);
          if (offset === chunkEnd) return { location, committed: offset };
        } else if (res.status === 416) {
          await discard(res); // our offset disagrees with the registry's: ask it below
        } else {
          await this.#failure(res, "send blob chunk");
        }
      } catch (err) {
        if (err instanceof SessionLost || !isTransientNetworkError(err)) throw err;
      }
      if (attempt >= maxResumes) throw new TransportError(`failed to push blob to ${this.#ctx.repository}: chunk at ${chunkStart} not accepted after ${attempt + 1} attempts`, "UPLOAD_CHUNK_FAILED");
      ({ location, offset } = await this.#status(location));
      if (offset < chunkStart || offset > chunkEnd) throw new SessionLost(); // bytes we no longer hold
      if (offset === chunkEnd) return { location, committed: offset };
    }
  }

  /** Throws SessionLost for a purged or refused session, a typed error otherwise (transient ones get a status check). */
  async #failure(res: HttpResponse, what: string): Promise<never> {
    const err = await errorFromResponse(res, `${what} to ${this.#ctx.repository}`);
    if (res.status === 404 || sessionLostCodes.has(err.code)) throw new SessionLost();
    throw err;
  }

  /** `GET <location>`: how much the registry holds. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#closing-a-blob-upload */
  async #status(location: URL): Promise<{ location: URL; offset: number }> {
    const res = await this.#send("GET", location);
    if (res.status !== 204 && res.status !== 202) await this.#failure(res, "get blob upload status");
    await discard(res);
    const offset = committedFromRange(header(res, "range"));
    if (offset === undefined) throw new SessionLost();
    return { location: locationOf(res) ?? location, offset };
  }

  /** The closing `PUT ?digest=`; after a dropped connection a HEAD tells whether it landed. */
  async #commit(location: URL, desc: Descriptor, body: Buffer | string | AsyncIterable<Buffer>, cursor?: StreamCursor): Promise<void> {
    const url = new URL(location);
    url.searchParams.set("digest", desc.digest);
    const length = typeof body === "string" || body instanceof Buffer ? body.length : desc.size;
    const headers = { "content-type": "application/octet-stream", "content-length": String(length) };
    let res: HttpResponse;
    try {
      res = await this.#send("PUT", url, { headers, body, idempotent: false });
    } catch (err) {
      if (cursor?.exhausted && cursor.position < desc.size) this.#short(cursor.position);
      if (!isTransientNetworkError(err)) throw err;
      if (await this.#landed(desc)) return;
      throw new SessionLost();
    }
    if (res.status === 201 || res.status === 204) {
      await discard(res);
      this.#progress(desc.size);
      return;
    }
    await this.#failure(res, "commit blob");
  }

  async #landed(desc: Descriptor): Promise<boolean> {
    const res = await this.#send("HEAD", repoUrl(this.#ctx, `blobs/${desc.digest}`));
    await discard(res);
    if (res.status === 200) this.#progress(desc.size);
    return res.status === 200;
  }
}

/** Pushes one blob; returns its descriptor (with the computed digest and size when they were not given). */
export function pushBlob(ctx: RepositoryContext, expected: PushDescriptor, source: BlobSource, options: PushOptions = {}, session?: URL): Promise<Descriptor> {
  return new Upload(ctx, expected, options).run(source, session);
}
