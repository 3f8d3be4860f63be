// The archive's own random-access sources (src/ocispec/random-access-source.ts): a local file and bytes in memory
// (an S3 object is the third, in src/storage/s3-source.ts). A range past the end is a truncated archive.
import { open, type FileHandle } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { MAX_SMALL_READ, type RandomAccessSource } from "../ocispec/random-access-source.ts";
import { InvalidArchiveError } from "./errors.ts";

/** Throws InvalidArchiveError when [offset, offset+length) is not inside a source of `size` bytes. */
function checkRange(description: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`${description}: invalid range ${offset}+${length}`);
  }
  if (offset + length > size) {
    throw new InvalidArchiveError(
      `${description}: truncated: ${length} bytes at offset ${offset} run past the end (${size} bytes)`,
      "TRUNCATED",
    );
  }
}

/** A local file as a RandomAccessSource. */
export class FileSource implements RandomAccessSource {
  readonly size: number;
  readonly description: string;
  readonly #path: string;
  readonly #handle: FileHandle;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.#path = path;
    this.#handle = handle;
    this.size = size;
    this.description = `file ${path}`;
  }

  /** Opens `path` for reading; the size is fixed at open time. */
  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      return new FileSource(path, handle, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    checkRange(this.description, this.size, offset, length);
    if (length > MAX_SMALL_READ)
      throw new RangeError(`${this.description}: read of ${length} bytes exceeds the small-read bound`);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new InvalidArchiveError(`${this.description}: file shrank while reading`, "TRUNCATED");
      done += bytesRead;
    }
    return buf;
  }

  stream(offset: number, length: number, signal?: AbortSignal): Readable {
    checkRange(this.description, this.size, offset, length);
    if (length === 0) return Readable.from([]);
    // A separate fd per stream so concurrent streams do not share a position; an empty range needs end < start.
    return createReadStream(this.#path, {
      start: offset,
      end: offset + length - 1,
      ...(signal ? { signal } : {}),
      highWaterMark: 256 << 10,
    });
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** Bytes in memory as a RandomAccessSource (small archives built in memory, tests). */
export class BufferSource implements RandomAccessSource {
  readonly size: number;
  readonly description: string;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer, description = "in-memory archive") {
    this.#bytes = bytes;
    this.size = bytes.length;
    this.description = description;
  }

  read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    checkRange(this.description, this.size, offset, length);
    return Promise.resolve(Buffer.from(this.#bytes.subarray(offset, offset + length)));
  }

  stream(offset: number, length: number): Readable {
    checkRange(this.description, this.size, offset, length);
    const bytes = this.#bytes.subarray(offset, offset + length);
    return Readable.from(bytes.length > 0 ? [bytes] : []);
  }

  async close(): Promise<void> {
    // nothing held
  }
}
