// The byte stream of one layer on its way to the registry, transformed per the layer plan: copied as is,
// compressed (once) to gzip or zstd, decompressed, or recompressed. Compression runs on libuv's thread pool: gzip
// block-parallel within a layer (parallel-gzip.ts), and several layers at once.
import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGunzip, createZstdCompress, createZstdDecompress } from "node:zlib";
import type { LayerPlan } from "./layer-plan.ts";
import { createParallelGzip } from "./parallel-gzip.ts";

/** gzip level 6 (Docker's and crane's default): good ratio at about 3× the speed of level 9. */
const GZIP_LEVEL = 6;
/** zstd level 3 (zstd's, containerd's and buildkit's default). */
const ZSTD_LEVEL = 3;

/** Wraps `source` so its bytes come out as `plan.to`; errors of every stage surface on the returned stream. */
export function transformLayer(source: Readable, plan: LayerPlan, onRead?: (bytes: number) => void): Readable {
  if (plan.action === "copy") return source;
  const stages: NodeJS.ReadWriteStream[] = [];
  if (onRead) stages.push(counter(onRead));
  if (plan.from === "gzip") stages.push(createGunzip());
  if (plan.from === "zstd") stages.push(createZstdDecompress());
  if (plan.to === "gzip") stages.push(createParallelGzip({ level: GZIP_LEVEL }));
  if (plan.to === "zstd")
    stages.push(
      createZstdCompress({ chunkSize: 256 * 1024, params: { [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } }),
    );
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  pipeline([source, ...stages, out]).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

/** Passes bytes through, telling how many have passed so far. */
function counter(onRead: (bytes: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done): void {
      seen += chunk.length;
      onRead(seen);
      done(null, chunk);
    },
  });
}
