// Uploads whose source can be read only once from the start (push-blob.ts explains the ways an upload holds its
// bytes): each chunk is held until the registry acknowledges it, and resent from memory after a dropped connection.
import type { BlobSource } from "../../ocispec/content.ts";
import type { Descriptor } from "../../ocispec/descriptor.ts";
import { locationOf } from "../client.ts";
import { isTransientNetworkError, TransportError } from "../errors.ts";
import { discard, header } from "../http.ts";
import { ChunkReader } from "./chunk-reader.ts";
import { committedAfter, SessionLost, type UploadSession } from "./session.ts";

export async function uploadInMemory(
  s: UploadSession,
  source: BlobSource,
  start: URL,
  chunkSize: number,
): Promise<Descriptor> {
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

/**
 * One PATCH of `part` at `offset`: where the upload stands after a 202, or undefined when the registry must be
 * asked (a 416, or a dropped connection).
 */
async function sendPart(
  s: UploadSession,
  location: URL,
  part: Buffer,
  offset: number,
): Promise<{ location: URL; offset: number } | undefined> {
  try {
    const res = await s.send("PATCH", location, {
      headers: {
        "content-type": "application/octet-stream",
        "content-range": `${offset}-${offset + part.byteLength - 1}`,
        "content-length": String(part.byteLength),
      },
      body: part,
      idempotent: false,
    });
    if (res.status !== 202 && res.status !== 416) await s.failure(res, "send blob chunk");
    await discard(res);
    // A 416: our offset disagrees with the registry's.
    return res.status === 202
      ? {
          location: locationOf(res) ?? location,
          offset: committedAfter(header(res, "range"), offset + part.byteLength),
        }
      : undefined;
  } catch (err) {
    if (err instanceof SessionLost || !isTransientNetworkError(err)) throw err;
    return undefined;
  }
}

/** Sends one chunk, resuming from the committed range after failures. */
async function patch(
  s: UploadSession,
  start: URL,
  chunk: Buffer,
  chunkStart: number,
): Promise<{ location: URL; committed: number }> {
  let location = start;
  let offset = chunkStart;
  const chunkEnd = chunkStart + chunk.byteLength;
  for (let attempt = 0; ; attempt++) {
    const sent = await sendPart(s, location, chunk.subarray(offset - chunkStart), offset);
    if (sent) ({ location, offset } = sent);
    if (sent && offset === chunkEnd) return { location, committed: offset };
    if (attempt >= s.maxResumes)
      throw new TransportError(
        `failed to push blob to ${s.repository}: chunk at ${chunkStart} not accepted after ${attempt + 1} attempts`,
        "UPLOAD_CHUNK_FAILED",
      );
    ({ location, offset } = await s.status(location));
    if (offset < chunkStart || offset > chunkEnd) throw new SessionLost(); // bytes we no longer hold
    if (offset === chunkEnd) return { location, committed: offset };
  }
}
