// Peak RSS of streaming an archive's layers out of MinIO through S3Source (hashing only): a generated
// docker-archive of BENCH_SIZE_MB (default 1024) MiB, plain and (with BENCH_GZIP=1) gzip-wrapped.
// Run: npx node bench/archive-stream.ts
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { startMinio, s3Client } from "../test/env/minio.ts";
import { generateDockerArchive } from "./generate-archive.ts";
import { measure } from "./measure.ts";
import { putFile } from "./peers.ts";

const sizeMiB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "airlift-bench-archive-"));

async function main(): Promise<void> {
  const minio = await startMinio(join(work, "minio"));
  const s3 = s3Client(minio);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
    const path = join(work, "archive.tar");
    const generated = await generateDockerArchive(path, sizeMiB * 2 ** 20, 6, "bench/app:v1");
    await putFile(s3, "bench", "archive.tar", path);
    const keys = [["plain", "archive.tar"]];
    if (process.env.BENCH_GZIP === "1") {
      await pipeline(createReadStream(path), createGzip({ level: 1 }), createWriteStream(`${path}.gz`));
      await putFile(s3, "bench", "archive.tar.gz", `${path}.gz`);
      keys.push(["gzip", "archive.tar.gz"]);
    }
    rmSync(path, { force: true });
    rmSync(`${path}.gz`, { force: true });
    const worker = join(import.meta.dirname, "archive-hash-worker.ts");
    process.stdout.write(
      `archive: ${(generated.size / (1 << 20)).toFixed(0)} MiB, ${generated.layers.length} layers\n| source | wall | peak RSS |\n| --- | --- | --- |\n`,
    );
    for (const [label, key] of keys) {
      const m = await measure(label ?? "", process.execPath, [
        worker,
        minio.endpoint,
        minio.accessKeyId,
        minio.secretAccessKey,
        "bench",
        key ?? "",
      ]);
      process.stdout.write(
        `| S3Source ${label}, hash every layer | ${m.wallSeconds.toFixed(1)} s | ${m.peakRssMiB.toFixed(0)} MiB |\n`,
      );
    }
  } finally {
    s3.destroy();
    await minio.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
