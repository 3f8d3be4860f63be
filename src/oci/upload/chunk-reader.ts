/**
 * Cuts a byte stream into chunks of a fixed size (the last one shorter), holding one chunk in memory at a time:
 * an upload chunk must stay in memory until the registry acknowledges it when its source cannot be read again.
 * Two buffers are reused in turn (the uploader holds the current chunk and looks one ahead): a returned chunk stays
 * valid until two more reads. Reusing them, rather than allocating 8 MiB per chunk, keeps RSS flat on multi-GB blobs
 * instead of waiting for the garbage collector to release each chunk.
 */
import type { Readable } from "node:stream";
import { StreamCursor } from "./stream-cursor.ts";

export class ChunkReader {
  readonly chunkSize: number;
  readonly #cursor: StreamCursor;
  readonly #buffers: Buffer[] = [];
  #turn = 0;

  constructor(stream: Readable, chunkSize: number) {
    this.chunkSize = chunkSize;
    this.#cursor = new StreamCursor(stream);
  }

  /** The next chunk (exactly `chunkSize` bytes unless the stream ended), or undefined at the end. */
  async read(): Promise<Buffer | undefined> {
    const slot = this.#turn++ % 2;
    const out = (this.#buffers[slot] ??= Buffer.allocUnsafe(this.chunkSize));
    let filled = 0;
    while (filled < this.chunkSize) {
      const piece = await this.#cursor.next(this.chunkSize - filled);
      if (piece === undefined) break;
      piece.copy(out, filled);
      filled += piece.byteLength;
    }
    return filled === 0 ? undefined : out.subarray(0, filled);
  }

  /** Stops reading and releases the source. */
  async close(): Promise<void> {
    await this.#cursor.close();
  }
}
