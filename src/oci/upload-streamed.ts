// Uploads whose source can be read again from any offset (upload.ts explains the ways an upload holds its bytes):
// nothing is held in memory; after a dropped connection the registry says what it committed and the source is
// opened again.
import { Digester } from "./digest.ts";
import { isTransientNetworkError, TransportError } from "./errors.ts";
import { discard, header, type HttpResponse } from "./http.ts";
import { locationOf } from "./client.ts";
import type { Descriptor } from "./manifest.ts";
import { StreamCursor } from "./stream-cursor.ts";
import { committedFromRange, ResumeNeeded, SessionLost, type UploadSession } from "./upload-session.ts";
import type { BlobSource } from "./upload.ts";

/** Streams the blob (size known) in segments of `segment` bytes straight from `source`; see the file comment. */
export async function uploadStreamed(s: UploadSession, source: BlobSource, start: URL, segment: number): Promise<Descriptor> {
  const size = s.expected.size ?? 0;
  let digester = s.digester();
  let cursor = new StreamCursor(source(0), (piece) => digester.update(piece));
  let location = start;
  try {
    if (s.expected.digest !== undefined && size <= segment) {
      // One request: the registry checks the digest before it commits anything.
      const whole = { mediaType: s.expected.mediaType ?? "application/octet-stream", digest: s.expected.digest, size };
      try {
        await s.commit(location, whole, cursor.take(size), cursor);
      } catch (err) {
        // Our own verdict on bytes that do not match is clearer than the registry's DIGEST_INVALID.
        if (cursor.position === size) s.descriptor(digester.copy());
        throw err;
      }
      if (!(await cursor.atEnd())) s.checkSize(size + 1);
      return s.descriptor(digester);
    }
    for (let segStart = 0; segStart < size; ) {
      const segEnd = Math.min(size, segStart + segment);
      const rewind = digester.copy();
      let committed = segStart;
      for (let attempt = 0; committed < segEnd; attempt++) {
        try {
          ({ location, committed } = await sendSegment(s, location, cursor, committed, segEnd));
          if (committed === segEnd) break;
        } catch (err) {
          if (err instanceof SessionLost || !(isTransientNetworkError(err) || err instanceof ResumeNeeded)) throw err;
        }
        if (attempt >= s.maxResumes) throw new TransportError(`failed to push blob to ${s.repository}: bytes at ${segStart} not accepted after ${attempt + 1} attempts`, "UPLOAD_CHUNK_FAILED");
        ({ location, offset: committed } = await s.status(location));
        if (committed < segStart || committed > segEnd) throw new SessionLost(); // bytes before the segment are gone
        // Back to the segment's start: hash state and source; the bytes the registry holds are only hashed.
        await cursor.close();
        const restored = rewind.copy();
        digester = restored;
        cursor = new StreamCursor(source(segStart), (piece) => restored.update(piece));
        cursor.position = segStart;
        if ((await cursor.skip(committed - segStart)) !== committed - segStart) s.short(cursor.position);
      }
      s.progress(segEnd);
      segStart = segEnd;
    }
    if (!(await cursor.atEnd())) s.checkSize(size + 1);
    const desc = s.descriptor(digester);
    await s.commit(location, desc, "");
    return desc;
  } finally {
    await cursor.close();
  }
}

/** Streams a blob of unknown size in chunked PATCH bodies; see the file comment. */
export async function uploadStreamedUnsized(s: UploadSession, source: BlobSource, start: URL): Promise<Descriptor> {
  let digester = s.digester();
  let cursor = new StreamCursor(source(0), (piece) => digester.update(piece));
  let location = start;
  let committed = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await s.send("PATCH", location, {
          headers: { "content-type": "application/octet-stream" },
          body: cursor.take(Number.POSITIVE_INFINITY),
          idempotent: false,
        });
        if (res.status === 202) {
          await discard(res);
          location = locationOf(res) ?? location;
          committed = committedFromRange(header(res, "range")) ?? cursor.position;
          s.checkSize(cursor.position);
          if (committed === cursor.position) break;
        } else if (res.status === 416 || res.status === 401) {
          await discard(res);
        } else {
          await s.failure(res, "send blob");
        }
      } catch (err) {
        if (err instanceof SessionLost || !isTransientNetworkError(err)) throw err;
      }
      if (attempt >= s.maxResumes) throw new TransportError(`failed to push blob to ${s.repository}: not accepted after ${attempt + 1} attempts`, "UPLOAD_CHUNK_FAILED");
      ({ location, offset: committed } = await s.status(location));
      // The bytes sent past the committed offset are gone: produce the source again, hashing up to there.
      await cursor.close();
      const fresh = new Digester(digester.algorithm);
      digester = fresh;
      cursor = new StreamCursor(source(0), (piece) => fresh.update(piece));
      if ((await cursor.skip(committed)) !== committed) throw new SessionLost(); // the source no longer reaches it
      s.progress(committed);
    }
    const desc = s.descriptor(digester);
    await s.commit(location, desc, "");
    return desc;
  } finally {
    await cursor.close();
  }
}

/** One PATCH of [from, to) read from `cursor`; a short source is a size mismatch, a refused one a resume. */
async function sendSegment(s: UploadSession, location: URL, cursor: StreamCursor, from: number, to: number): Promise<{ location: URL; committed: number }> {
  let res: HttpResponse;
  try {
    res = await s.send("PATCH", location, {
      headers: { "content-type": "application/octet-stream", "content-range": `${from}-${to - 1}`, "content-length": String(to - from) },
      body: cursor.take(to - from),
      idempotent: false,
    });
  } catch (err) {
    if (cursor.exhausted) s.short(cursor.position);
    throw err;
  }
  if (cursor.exhausted && cursor.position < to) {
    await discard(res);
    s.short(cursor.position);
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
  return s.failure(res, "send blob chunk");
}
