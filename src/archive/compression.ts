// Compression of layer blobs, told by magic bytes rather than by names or media types (archives lie about both):
// gzip 1f 8b (RFC 1952), zstd frame 28 b5 2f fd (RFC 8878).
import { createGunzip, createZstdDecompress } from "node:zlib";
import { PassThrough, type Duplex } from "node:stream";

/** How a blob's bytes are compressed. */
export type Compression = "none" | "gzip" | "zstd";

/** Bytes needed by {@link sniffCompression}. */
export const SNIFF_BYTES = 4;

/** The compression the first bytes of a blob announce. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

/** A transform that undoes `compression` (a pass-through for "none"). */
export function decompressor(compression: Compression): Duplex {
  if (compression === "gzip") return createGunzip();
  if (compression === "zstd") return createZstdDecompress();
  return new PassThrough();
}
