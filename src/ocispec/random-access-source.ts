// Random access to the bytes of one immutable object, wherever it lives (a local file or bytes in memory in
// src/archive/source.ts, an S3 object in src/storage/s3-source.ts). Archive readers ask for small bounded reads
// (tar headers, JSON metadata) and for streams of blob bodies with backpressure, so an archive of any size is read
// without holding it in memory or on disk.
import type { Readable } from "node:stream";

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
