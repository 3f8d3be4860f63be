// Generates a `docker save` (legacy form) archive for benchmarks: several layers, alternating incompressible
// (random) and compressible (repeated text) content, written as a stream so any size fits in little memory.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";

export interface GeneratedArchive {
  path: string;
  size: number;
  layers: { diffId: string; size: number; compressible: boolean }[];
  configDigest: string;
  repoTag: string;
}

const BLOCK = 512;

function tarHeader(name: string, size: number, type: "0" | "5" = "0"): Buffer {
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0, 100, "utf8");
  header.write(type === "5" ? "0000755\0" : "0000644\0", 100, 8, "ascii");
  header.write("0000000\0", 108, 8, "ascii");
  header.write("0000000\0", 116, 8, "ascii");
  header.write(`${size.toString(8).padStart(11, "0")}\0`, 124, 12, "ascii");
  header.write(
    `${Math.floor(Date.UTC(2024, 0, 1) / 1000)
      .toString(8)
      .padStart(11, "0")}\0`,
    136,
    12,
    "ascii",
  );
  header.write("        ", 148, 8, "ascii");
  header.write(type, 156, 1, "ascii");
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return header;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

/** Size of a layer tar holding one file of `fileSize` bytes (header, data, padding, two zero blocks). */
function layerTarSize(fileSize: number): number {
  return BLOCK + fileSize + padding(fileSize).length + 2 * BLOCK;
}

async function writeLayer(
  out: Writable,
  index: number,
  fileSize: number,
  compressible: boolean,
): Promise<{ diffId: string; size: number }> {
  const hash = createHash("sha256");
  const emit = async (chunk: Buffer): Promise<void> => {
    hash.update(chunk);
    await write(out, chunk);
  };
  await emit(tarHeader(`data/layer-${index}.bin`, fileSize));
  const text = Buffer.from(`layer ${index}: the quick brown fox jumps over the lazy dog 0123456789\n`.repeat(16384));
  let remaining = fileSize;
  while (remaining > 0) {
    const n = Math.min(remaining, 1 << 20);
    await emit(compressible ? text.subarray(0, n) : randomBytes(n));
    remaining -= n;
  }
  await emit(padding(fileSize));
  await emit(Buffer.alloc(2 * BLOCK, 0));
  return { diffId: `sha256:${hash.digest("hex")}`, size: layerTarSize(fileSize) };
}

/** Writes the archive: layers first (their digests go into the config), then config and manifest.json. */
export async function generateDockerArchive(
  path: string,
  totalBytes: number,
  layerCount = 6,
  repoTag = "bench/app:v1",
): Promise<GeneratedArchive> {
  const out = createWriteStream(path);
  let offset = 0;
  const put = async (chunk: Buffer): Promise<void> => {
    offset += chunk.length;
    await write(out, chunk);
  };
  const layers: GeneratedArchive["layers"] = [];
  const perLayer = Math.max(1024, Math.floor(totalBytes / layerCount));
  for (let i = 0; i < layerCount; i++) {
    const compressible = i % 2 === 1;
    const tarSize = layerTarSize(perLayer);
    await put(tarHeader(`layer${i}/`, 0, "5"));
    await put(tarHeader(`layer${i}/layer.tar`, tarSize));
    const layer = await writeLayer(out, i, perLayer, compressible);
    offset += layer.size;
    await put(padding(layer.size));
    layers.push({ ...layer, compressible });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: "2024-01-01T00:00:00Z",
      config: { Cmd: ["/bin/true"] },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: "2024-01-01T00:00:00Z", created_by: `layer ${i}` })),
    }),
  );
  const configHex = createHash("sha256").update(config).digest("hex");
  await put(tarHeader(`${configHex}.json`, config.length));
  await put(config);
  await put(padding(config.length));
  const manifest = Buffer.from(
    JSON.stringify([
      { Config: `${configHex}.json`, RepoTags: [repoTag], Layers: layers.map((_, i) => `layer${i}/layer.tar`) },
    ]),
  );
  await put(tarHeader("manifest.json", manifest.length));
  await put(manifest);
  await put(padding(manifest.length));
  await put(Buffer.alloc(2 * BLOCK, 0));
  out.end();
  await once(out, "finish");
  return { path, size: offset, layers, configDigest: `sha256:${configHex}`, repoTag };
}
