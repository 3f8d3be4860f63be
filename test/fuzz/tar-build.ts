// Builds tar archives in memory with tar-stream (a real writer, so the fuzzers and the extractor's tests start from
// well-formed input), and lists what an extraction left on disk.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import tar from "tar-stream";

export interface TarEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "fifo" | "character-device";
  body?: Buffer | string;
  linkname?: string;
  mode?: number;
}

/** Every path below `dir`, depth first, without following links. */
export function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out.push(p);
    if (lstatSync(p).isDirectory()) walk(p, out);
  }
  return out;
}

export async function packTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const type = e.type ?? "file";
    const header = {
      name: e.name,
      type,
      ...(e.mode !== undefined ? { mode: e.mode } : {}),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    if (type === "file") pack.entry(header, Buffer.from(e.body ?? ""));
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** `bytes` with some bytes overwritten and maybe cut short. */
export function mutate(bytes: Buffer, edits: readonly { at: number; value: number }[], cutAt?: number): Buffer {
  const out = Buffer.from(bytes);
  for (const e of edits) if (out.length > 0) out[e.at % out.length] = e.value;
  return cutAt === undefined || out.length === 0 ? out : out.subarray(0, cutAt % (out.length + 1));
}

/** Rewrites the checksum of the header block at `offset`, so edits to its fields get past the checksum check. */
export function fixChecksum(bytes: Buffer, offset = 0): Buffer {
  if (bytes.length < offset + 512) return bytes;
  const out = Buffer.from(bytes);
  out.fill(0x20, offset + 148, offset + 156);
  let sum = 0;
  for (let i = offset; i < offset + 512; i++) sum += out[i] ?? 0;
  out.write(`${sum.toString(8).padStart(6, "0")}\0 `, offset + 148, 8, "ascii");
  return out;
}
