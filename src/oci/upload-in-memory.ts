// Uploads whose source can be read only once from the start (upload.ts explains the ways an upload holds its
// bytes): each chunk is held until the registry acknowledges it, and resent from memory after a dropped connection.
import { ChunkReader } from "./chunk-reader.ts";
import { isTransientNetworkError, TransportError } from "./errors.ts";
import { discard, header } from "./http.ts";
import { locationOf } from "./client.ts";
import type { Descriptor } from "./manifest.ts";
import { committedFromRange, SessionLost, type UploadSession } from "./upload-session.ts";
import type { BlobSource } from "./upload.ts";

export async function uploadInMemory(s: UploadSession, source: BlobSource, start: URL, chunkSize: number): Promise<Descriptor> {
  const reader = new ChunkReader(source(0), chunkSize);
  try {
    return await attempt(s, reader, start);
  } finally {
    await reader.close();
  }
}

async function attempt(s: UploadSession, reader: ChunkReader, start: URL): Promise<Descriptor> {
  const digester = s.digester();
  let location = start;
  let chunk = await reader.read();
  let next = chunk && chunk.byteLength === reader.chunkSize ? await reader.read() : undefined;
  if (chunk && next === undefined) {
    // The whole blob fits in one chunk: one PUT carries it.
    digester.update(chunk);
    const desc = s.descriptor(digester);
    await s.commit(location, desc, chunk);
    return desc;
  }
  let committed = 0;
  while (chunk) {
    digester.update(chunk);
    s.checkSize(digester.size);
    ({ location, committed } = await patch(s, location, chunk, committed));
    s.progress(committed);
    chunk = next;
    next = chunk ? await reader.read() : undefined;
  }
  const desc = s.descriptor(digester);
  await s.commit(location, desc, "");
  return desc;
}

/** Sends one chunk, resuming from the committed range after failures. */
async function patch(s: UploadSession, start: URL, chunk: Buffer, chunkStart: number): Promise<{ location: URL; committed: number }> {
  let location = start;
  let offset = chunkStart;
  const chunkEnd = chunkStart + chunk.byteLength;
  for (let attempt = 0; ; attempt++) {
    const part = chunk.subarray(offset - chunkStart);
    try {
      const res = await s.send("PATCH", location, {
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
        await s.failure(res, "send blob chunk");
      }
    } catch (err) {
      if (err instanceof SessionLost || !isTransientNetworkError(err)) throw err;
    }
    if (attempt >= s.maxResumes) throw new TransportError(`failed to push blob to ${s.repository}: chunk at ${chunkStart} not accepted after ${attempt + 1} attempts`, "UPLOAD_CHUNK_FAILED");
    ({ location, offset } = await s.status(location));
    if (offset < chunkStart || offset > chunkEnd) throw new SessionLost(); // bytes we no longer hold
    if (offset === chunkEnd) return { location, committed: offset };
  }
}
