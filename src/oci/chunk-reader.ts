/**
 * Cuts a byte stream into chunks of a fixed size (the last one shorter), holding one chunk in memory at a time:
 * an upload chunk must stay in memory until the registry acknowledges it, so it can be resent.
 * Two buffers are reused in turn (the uploader holds the current chunk and looks one ahead): a returned chunk stays
 * valid until two more reads. Reusing them, rather than allocating 8 MiB per chunk, keeps RSS flat on multi-GB blobs
 * instead of waiting for the garbage collector to release each chunk.
 */
import type { Readable } from "node:stream";

export class ChunkReader {
  readonly chunkSize: number;
  readonly #iterator: AsyncIterator<Buffer | string>;
  #leftover: Buffer | undefined;
  #done = false;
  readonly #buffers: Buffer[] = [];
  #turn = 0;

  constructor(stream: Readable, chunkSize: number) {
    this.chunkSize = chunkSize;
    this.#iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  }

  /** The next chunk (exactly `chunkSize` bytes unless the stream ended), or undefined at the end. */
  async read(): Promise<Buffer | undefined> {
    const slot = this.#turn++ % 2;
    const out = (this.#buffers[slot] ??= Buffer.allocUnsafe(this.chunkSize));
    let filled = 0;
    while (filled < this.chunkSize) {
      let piece = this.#leftover;
      this.#leftover = undefined;
      if (piece === undefined) {
        if (this.#done) break;
        const next = await this.#iterator.next();
        if (next.done) {
          this.#done = true;
          break;
        }
        piece = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      }
      const take = Math.min(piece.byteLength, this.chunkSize - filled);
      piece.copy(out, filled, 0, take);
      filled += take;
      if (take < piece.byteLength) this.#leftover = piece.subarray(take);
    }
    return filled === 0 ? undefined : out.subarray(0, filled);
  }

  /** Stops reading and releases the source. */
  async close(): Promise<void> {
    await this.#iterator.return?.();
  }
}
