// gzip compression of one layer on every core, pigz's way: the input is cut into blocks that deflate independently on
// libuv's thread pool, each primed with the 32 KiB before it (so the ratio stays that of one level-6 stream) and ended
// with a sync flush, then the outputs are written in order as ONE gzip member that any reader accepts. A block whose
// samples do not compress is written as deflate stored blocks instead (as klauspost/compress does), which spares the
// CPU that level 6 would spend on random bytes for nothing; a block so redundant that level 1 already shrinks it
// below 2 % gets level 1, since level 6 could save at most that 2 % of it at twice the CPU.
import { Transform, type TransformCallback } from "node:stream";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import { constants, crc32, deflateRaw, type ZlibOptions } from "node:zlib";

const deflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(deflateRaw);

/** deflate's window: what a block may refer back to. */
const WINDOW = 32 * 1024;
/** A stored block holds at most 65,535 bytes. */
const STORED_MAX = 0xffff;
/** gzip header: magic, deflate, no flags, no mtime, no extra flags, unknown OS (as Go's compress/gzip writes). */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
/** The final, empty fixed-Huffman block that ends the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
/** Samples per block and their size for the compressibility probe (1/32 of a default block). */
const SAMPLES = 4;
const SAMPLE_SIZE = 4 * 1024;
/** At or above this ratio at level 1, the block is stored. */
const STORE_RATIO = 0.97;
/** Below this ratio at level 1, level 1 it is: a higher level cannot pay for its CPU. */
const FAST_RATIO = 0.02;

export interface ParallelGzipOptions {
  /** deflate level of compressible blocks; 6 by default (Docker's and crane's). */
  level?: number;
  /** Bytes per block; 512 KiB by default. */
  blockSize?: number;
  /** Blocks compressing at once; one more than the cores by default, so no core waits. */
  parallel?: number;
}

/** `data` as a run of deflate stored blocks (not final), starting and ending on a byte boundary. */
export function storedBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += STORED_MAX) {
    const piece = data.subarray(at, Math.min(data.length, at + STORED_MAX));
    const head = Buffer.alloc(5);
    head[0] = 0; // BFINAL 0, BTYPE 00, padded to the byte
    head.writeUInt16LE(piece.length, 1);
    head.writeUInt16LE(~piece.length & 0xffff, 3);
    parts.push(head, piece);
  }
  return Buffer.concat(parts);
}

/** Level 1's ratio on evenly spread samples of `block`; undefined for a block too small to sample. */
async function probeRatio(block: Buffer): Promise<number | undefined> {
  if (block.length < SAMPLES * SAMPLE_SIZE * 2) return undefined;
  const step = Math.floor((block.length - SAMPLE_SIZE) / (SAMPLES - 1));
  const samples = Buffer.concat(
    Array.from({ length: SAMPLES }, (_, i) => block.subarray(i * step, i * step + SAMPLE_SIZE)),
  );
  const probe = await deflateRawAsync(samples, { level: 1 });
  return probe.length / samples.length;
}

/** One block's deflate bytes, ending byte-aligned with a sync flush so the next block's bytes follow directly. */
async function compressBlock(block: Buffer, dictionary: Buffer | undefined, level: number): Promise<Buffer> {
  const ratio = await probeRatio(block);
  if (ratio !== undefined && ratio >= STORE_RATIO) return storedBlocks(block);
  const out = await deflateRawAsync(block, {
    level: ratio !== undefined && ratio < FAST_RATIO ? Math.min(level, 1) : level,
    memLevel: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
    ...(dictionary ? { dictionary } : {}),
  });
  // A block the probe let through that still grew: stored costs 5 bytes per 64 KiB at most.
  return out.length > block.length ? storedBlocks(block) : out;
}

/** A Transform from bytes to one gzip member, compressed block-parallel. */
export function createParallelGzip(options: ParallelGzipOptions = {}): Transform {
  const level = options.level ?? 6;
  const blockSize = options.blockSize ?? 512 * 1024;
  const parallel = options.parallel ?? availableParallelism() + 1;
  const pending: Promise<Buffer>[] = [];
  let held: Buffer[] = [];
  let heldBytes = 0;
  let dictionary: Buffer | undefined;
  let crc = 0;
  let total = 0;

  const start = (block: Buffer): void => {
    crc = crc32(block, crc);
    total += block.length;
    const prior = dictionary;
    // A copy: the block's own buffer is released once it is compressed.
    dictionary = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW)));
    const job = compressBlock(block, prior, level);
    job.catch(() => undefined); // surfaced in order by drain; never an unhandled rejection meanwhile
    pending.push(job);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback): void {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < blockSize) return done();
      const all = Buffer.concat(held, heldBytes);
      let at = 0;
      for (; all.length - at >= blockSize; at += blockSize) start(all.subarray(at, at + blockSize));
      held = at < all.length ? [all.subarray(at)] : [];
      heldBytes = all.length - at;
      void drain(this, pending, parallel).then(() => done(), done);
    },
    flush(done: TransformCallback): void {
      if (heldBytes > 0) start(Buffer.concat(held, heldBytes));
      held = [];
      void drain(this, pending, 0).then(() => {
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(crc >>> 0, 0);
        trailer.writeUInt32LE(total % 2 ** 32, 4);
        done(null, Buffer.concat([FINAL_BLOCK, trailer]));
      }, done);
    },
    construct(done: (err?: Error | null) => void): void {
      this.push(HEADER);
      done();
    },
  });
}

/** Writes finished blocks in order until at most `keep` are still compressing. */
async function drain(out: Transform, pending: Promise<Buffer>[], keep: number): Promise<void> {
  while (pending.length > keep) {
    const next = pending.shift() as Promise<Buffer>;
    out.push(await next);
  }
}
