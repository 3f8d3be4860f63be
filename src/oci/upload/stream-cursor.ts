/**
 * Reads a byte stream piece by piece at the caller's pace: `next(max)` gives at most `max` bytes (keeping the rest
 * for the next call), `take(length)` yields exactly the next `length` bytes as an async iterable (a request body),
 * `skip(length)` consumes bytes without handing them on. Each byte passes `onBytes` once (the upload's hash).
 */
import type { Readable } from "node:stream";

export class StreamCursor {
  readonly #stream: Readable;
  readonly #iterator: AsyncIterator<Buffer | string>;
  readonly #onBytes: ((piece: Buffer) => void) | undefined;
  #leftover: Buffer | undefined;
  #done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(stream: Readable, onBytes?: (piece: Buffer) => void) {
    this.#stream = stream;
    this.#iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    this.#onBytes = onBytes;
  }

  /** True once the stream has ended and every byte was handed out. */
  get exhausted(): boolean {
    return this.#done && this.#leftover === undefined;
  }

  /** At most `max` bytes, or undefined at the end of the stream. */
  async next(max: number): Promise<Buffer | undefined> {
    let piece = this.#leftover;
    this.#leftover = undefined;
    if (piece === undefined) {
      if (this.#done) return undefined;
      const next = await this.#iterator.next();
      if (next.done) {
        this.#done = true;
        return undefined;
      }
      piece = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    }
    if (piece.byteLength > max) {
      this.#leftover = piece.subarray(max);
      piece = piece.subarray(0, max);
    }
    this.position += piece.byteLength;
    this.#onBytes?.(piece);
    return piece;
  }

  /** The next `length` bytes (fewer when the stream ends first: the caller compares `position`). */
  async *take(length: number): AsyncGenerator<Buffer> {
    const end = this.position + length;
    while (this.position < end) {
      const piece = await this.next(end - this.position);
      if (piece === undefined) return;
      yield piece;
    }
  }

  /** Consumes the next `length` bytes; resolves with how many there were. */
  async skip(length: number): Promise<number> {
    const start = this.position;
    for await (const piece of this.take(length)) void piece;
    return this.position - start;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    if (this.#leftover !== undefined) return false;
    if (this.#done) return true;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return true;
    }
    this.#leftover = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
    return this.#leftover.byteLength === 0 ? this.atEnd() : false;
  }

  /** Stops reading and releases the source. */
  async close(): Promise<void> {
    await this.#iterator.return?.();
    this.#stream.destroy();
  }
}
