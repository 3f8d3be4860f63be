// Reading a response body whole, but never past a bound: metadata (manifests, tag pages, tokens, error bodies,
// Harbor's JSON) comes from servers airlift does not trust, so every such read has a ceiling and a body that goes
// past it is dropped, not buffered.
import type { Readable } from "node:stream";

/** Reads all of `body` when it is at most `limit` bytes; undefined when it is longer (the stream is destroyed). */
export function readBounded(body: Readable, limit: number): Promise<Buffer | undefined>;
/** Reads all of `body` when it is at most `limit` bytes; throws `tooLarge()` when it is longer. */
export function readBounded(body: Readable, limit: number, tooLarge: () => Error): Promise<Buffer>;
export async function readBounded(body: Readable, limit: number, tooLarge?: () => Error): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy();
      if (tooLarge) throw tooLarge();
      return undefined;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}
