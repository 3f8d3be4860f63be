// Uploads whose source can be read again from any offset (push-blob.ts explains the ways an upload holds its bytes):
// nothing is held in memory; after a dropped connection the registry says what it committed and the source is
// opened again.
import type { BlobSource } from "../../ocispec/content.ts";
import type { Descriptor } from "../../ocispec/descriptor.ts";
import { Digester, type Digest } from "../../ocispec/digest.ts";
import { locationOf } from "../client.ts";
import { isTransientNetworkError, TransportError } from "../errors.ts";
import { discard, header, type HttpResponse } from "../http.ts";
import { committedAfter, committedFromRange, ResumeNeeded, SessionLost, type UploadSession } from "./session.ts";
import { StreamCursor } from "./stream-cursor.ts";

/** Answers to a PATCH after which the registry is asked where the upload stands (offset disagreement, expired token). */
const ASK_REGISTRY = new Set([416, 401]);

/** One streamed upload: where its session is, the cursor over the source and the hash of the bytes read. */
class StreamedUpload {
  readonly #s: UploadSession;
  readonly #source: BlobSource;
  #location: URL;
  #digester: Digester;
  #cursor: StreamCursor;

  constructor(s: UploadSession, source: BlobSource, start: URL) {
    this.#s = s;
    this.#source = source;
    this.#location = start;
    const digester = s.digester();
    this.#digester = digester;
    this.#cursor = new StreamCursor(source(0), (piece) => digester.update(piece));
  }

  /** The source again from `from`, its bytes going to `digester`. */
  async #reopen(from: number, digester: Digester): Promise<void> {
    await this.#cursor.close();
    this.#digester = digester;
    this.#cursor = new StreamCursor(this.#source(from), (piece) => digester.update(piece));
    this.#cursor.position = from;
  }

  /** A blob of known digest that fits one segment, in one PUT: the registry checks the digest before it commits anything. */
  async putWhole(digest: Digest, size: number): Promise<Descriptor> {
    const whole = { mediaType: this.#s.expected.mediaType ?? "application/octet-stream", digest, size };
    try {
      await this.#s.commit(this.#location, whole, this.#cursor.take(size), this.#cursor);
    } catch (err) {
      // Our own verdict on bytes that do not match is clearer than the registry's DIGEST_INVALID.
      if (this.#cursor.position === size) this.#s.descriptor(this.#digester.copy());
      throw err;
    }
    await this.checkEnd(size);
    return this.#s.descriptor(this.#digester);
  }

  /** Sends [segStart, segEnd), resuming from what the registry committed after failures. */
  async segment(segStart: number, segEnd: number): Promise<void> {
    const rewind = this.#digester.copy();
    let committed = segStart;
    for (let attempt = 0; committed < segEnd; attempt++) {
      if ((await this.#tryPatch(committed, segEnd)) === segEnd) break;
      if (attempt >= this.#s.maxResumes)
        throw new TransportError(
          `failed to push blob to ${this.#s.repository}: bytes at ${segStart} not accepted after ${attempt + 1} attempts`,
          "UPLOAD_CHUNK_FAILED",
        );
      committed = await this.#resumeSegment(segStart, segEnd, rewind);
    }
    this.#s.progress(segEnd);
  }

  /** One PATCH of [from, to): the committed offset, or undefined when the registry must be asked. */
  async #tryPatch(from: number, to: number): Promise<number | undefined> {
    try {
      return await this.#patch(from, to);
    } catch (err) {
      if (err instanceof SessionLost || !(isTransientNetworkError(err) || err instanceof ResumeNeeded)) throw err;
      return undefined;
    }
  }

  /** One PATCH of [from, to) read from the cursor; a short source is a size mismatch, a refused one a resume. */
  async #patch(from: number, to: number): Promise<number> {
    const res = await this.#sendRange(from, to);
    if (this.#cursor.exhausted && this.#cursor.position < to) {
      await discard(res);
      this.#s.short(this.#cursor.position);
    }
    if (res.status === 202) {
      await discard(res);
      this.#location = locationOf(res) ?? this.#location;
      return committedAfter(header(res, "range"), to);
    }
    if (ASK_REGISTRY.has(res.status)) {
      await discard(res); // our offset disagrees with the registry's, or a token expired mid-upload: ask the registry
      throw new ResumeNeeded();
    }
    return this.#s.failure(res, "send blob chunk");
  }

  async #sendRange(from: number, to: number): Promise<HttpResponse> {
    try {
      return await this.#s.send("PATCH", this.#location, {
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${from}-${to - 1}`,
          "content-length": String(to - from),
        },
        body: this.#cursor.take(to - from),
        idempotent: false,
      });
    } catch (err) {
      if (this.#cursor.exhausted) this.#s.short(this.#cursor.position);
      throw err;
    }
  }

  /** Asks where the upload stands, and reads the source again from the segment's start up to there (hashing only). */
  async #resumeSegment(segStart: number, segEnd: number, rewind: Digester): Promise<number> {
    const status = await this.#s.status(this.#location);
    this.#location = status.location;
    const committed = status.offset;
    if (committed < segStart || committed > segEnd) throw new SessionLost(); // bytes before the segment are gone
    // Back to the segment's start: hash state and source; the bytes the registry holds are only hashed.
    await this.#reopen(segStart, rewind.copy());
    if ((await this.#cursor.skip(committed - segStart)) !== committed - segStart) this.#s.short(this.#cursor.position);
    return committed;
  }

  /** One chunked PATCH of all the source still holds: true when the registry committed every byte read. */
  async sendRest(): Promise<boolean> {
    try {
      const res = await this.#s.send("PATCH", this.#location, {
        headers: { "content-type": "application/octet-stream" },
        body: this.#cursor.take(Number.POSITIVE_INFINITY),
        idempotent: false,
      });
      if (res.status !== 202 && !ASK_REGISTRY.has(res.status)) await this.#s.failure(res, "send blob");
      await discard(res);
      if (res.status !== 202) return false;
      this.#location = locationOf(res) ?? this.#location;
      const committed = committedFromRange(header(res, "range")) ?? this.#cursor.position;
      this.#s.checkSize(this.#cursor.position);
      return committed === this.#cursor.position;
    } catch (err) {
      if (err instanceof SessionLost || !isTransientNetworkError(err)) throw err;
      return false;
    }
  }

  /** Asks where the upload stands; the bytes sent past it are gone: produce the source again, hashing up to there. */
  async restartAtCommitted(): Promise<void> {
    const status = await this.#s.status(this.#location);
    this.#location = status.location;
    await this.#reopen(0, new Digester(this.#digester.algorithm));
    if ((await this.#cursor.skip(status.offset)) !== status.offset) throw new SessionLost(); // the source no longer reaches it
    this.#s.progress(status.offset);
  }

  /** Fails when the source holds more than `size` bytes. */
  async checkEnd(size: number): Promise<void> {
    if (!(await this.#cursor.atEnd())) this.#s.checkSize(size + 1);
  }

  /** The closing `PUT ?digest=` once every byte was sent; the blob's descriptor. */
  async commit(): Promise<Descriptor> {
    const desc = this.#s.descriptor(this.#digester);
    await this.#s.commit(this.#location, desc, "");
    return desc;
  }

  close(): Promise<void> {
    return this.#cursor.close();
  }
}

/** Streams the blob (size known) in segments of `segment` bytes straight from `source`; see the file comment. */
export async function uploadStreamed(
  s: UploadSession,
  source: BlobSource,
  start: URL,
  segment: number,
): Promise<Descriptor> {
  const size = s.expected.size ?? 0;
  const upload = new StreamedUpload(s, source, start);
  try {
    if (s.expected.digest !== undefined && size <= segment) return await upload.putWhole(s.expected.digest, size);
    for (let segStart = 0; segStart < size; segStart = Math.min(size, segStart + segment))
      await upload.segment(segStart, Math.min(size, segStart + segment));
    await upload.checkEnd(size);
    return await upload.commit();
  } finally {
    await upload.close();
  }
}

/** Streams a blob of unknown size in chunked PATCH bodies; see the file comment. */
export async function uploadStreamedUnsized(s: UploadSession, source: BlobSource, start: URL): Promise<Descriptor> {
  const upload = new StreamedUpload(s, source, start);
  try {
    for (let attempt = 0; !(await upload.sendRest()); attempt++) {
      if (attempt >= s.maxResumes)
        throw new TransportError(
          `failed to push blob to ${s.repository}: not accepted after ${attempt + 1} attempts`,
          "UPLOAD_CHUNK_FAILED",
        );
      await upload.restartAtCommitted();
    }
    return await upload.commit();
  } finally {
    await upload.close();
  }
}
