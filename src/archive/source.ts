// Random access to the bytes of an archive, wherever they live (a local file here, an S3 object in
// src/storage/s3-source.ts). Readers ask for small bounded reads (tar headers, JSON metadata) and for streams of
// blob bodies with backpressure, so an archive of any size is read without holding it in memory or on disk.
import { open, type FileHandle } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { InvalidArchiveError } from "./errors.ts";

/** The largest `read()` a source must serve; bodies larger than this go through `stream()`. */
export const MAX_SMALL_READ = 16 << 20;

/** Random-access bytes of one immutable object (an archive). */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Where the bytes come from, for messages (never holds credentials). */
  readonly description: string;
  /** A version tag of the object (S3 ETag); reads fail once the object changes. */
  readonly etag?: string;
  /** Exactly `length` bytes at `offset` (at most MAX_SMALL_READ); rejects past the end. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** A stream of exactly `length` bytes at `offset`, honouring backpressure; errors if the bytes run short. */
  stream(offset: number, length: number, signal?: AbortSignal): Readable;
  /** Releases handles and connections. */
  close(): Promise<void>;
}

/** Throws InvalidArchiveError when [offset, offset+length) is not inside a source of `size` bytes. */
export function checkRange(description: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`${description}: invalid range ${offset}+${length}`);
  }
  if (offset + length > size) {
    throw new InvalidArchiveError(`${description}: truncated: ${length} bytes at offset ${offset} run past the end (${size} bytes)`, "TRUNCATED");
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
    if (length > MAX_SMALL_READ) throw new RangeError(`${this.description}: read of ${length} bytes exceeds the small-read bound`);
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
    return createReadStream(this.#path, { start: offset, end: offset + length - 1, ...(signal ? { signal } : {}), highWaterMark: 256 << 10 });
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
