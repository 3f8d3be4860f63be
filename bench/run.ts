// `npm run bench`: airlift's import against its peers, side by side in one run on this machine.
// Generates a docker-archive (BENCH_SIZE_MB, default 1024) of several layers, half incompressible and half
// compressible, puts it in MinIO, then times: airlift import (preserve and gzip) straight from MinIO; skopeo copy
// and crane push (each downloading the archive first, as the runbook does); and the raw limit (the object's bytes
// moved into the registry as one blob with no processing). Every contender gets a fresh registry.
import { createHash } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { startMinio, s3Client } from "../test/env/minio.ts";
import { startRegistry, type RegistryEnv } from "../test/env/registry.ts";
import { airliftArgs } from "../test/env/tools.ts";
import { generateDockerArchive } from "./generate-archive.ts";
import { measure, type Measurement } from "./measure.ts";
import { cranePeer, putFile, rawLimit, skopeoPeer } from "./peers.ts";

const sizeMiB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "airlift-bench-"));

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

async function withRegistry<T>(name: string, fn: (reg: RegistryEnv) => Promise<T>): Promise<T> {
  const reg = await startRegistry(join(work, `registry-${name}`), "anonymous");
  try {
    return await fn(reg);
  } finally {
    await reg.stop();
    rmSync(join(work, `registry-${name}`), { recursive: true, force: true });
  }
}

function row(m: Measurement, peers: Record<string, number>): string {
  const ratios = Object.entries(peers)
    .map(([name, t]) => `${(m.wallSeconds / t).toFixed(2)}× ${name}`)
    .join(", ");
  const rss = Number.isNaN(m.peakRssMiB) ? "-" : `${m.peakRssMiB.toFixed(0)} MiB`;
  return `| ${m.label} | ${m.wallSeconds.toFixed(1)} s | ${rss} | ${ratios} |`;
}

async function main(): Promise<void> {
  const minio = await startMinio(join(work, "minio"));
  const s3 = s3Client(minio);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
    const archivePath = join(work, "archive.tar");
    const archive = await generateDockerArchive(archivePath, sizeMiB * 2 ** 20, 6, "bench/app:v1");
    await putFile(s3, "bench", "g/app.tar", archivePath);
    const archiveDigest = await sha256File(archivePath);
    rmSync(archivePath);
    const local = join(work, "download.tar");
    const s3Env = {
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      AWS_REGION: minio.region,
      AWS_ENDPOINT_URL_S3: minio.endpoint,
    };
    const airlift = (compression: string) => (reg: RegistryEnv) =>
      measure(
        `airlift import (${compression})`,
        ...airliftArgs([
          "import",
          "s3://bench/g/app.tar",
          `${reg.host}/bench/airlift:v1`,
          "--plain-http",
          "--layer-compression",
          compression,
          "--progress",
          "none",
        ]),
        s3Env,
      );
    const results: Measurement[] = [];
    results.push(
      await withRegistry("raw", (reg) => rawLimit(s3, "bench", "g/app.tar", reg.url, "bench/raw", archiveDigest)),
    );
    results.push(await withRegistry("airlift-preserve", airlift("preserve")));
    results.push(await withRegistry("airlift-gzip", airlift("gzip")));
    results.push(
      await withRegistry("skopeo", (reg) => skopeoPeer(s3, "bench", "g/app.tar", local, `${reg.host}/bench/skopeo:v1`)),
    );
    rmSync(local, { force: true });
    results.push(
      await withRegistry("crane", (reg) => cranePeer(s3, "bench", "g/app.tar", local, `${reg.host}/bench/crane:v1`)),
    );
    rmSync(local, { force: true });
    const [raw, , , skopeo, crane] = results;
    const peers = {
      raw: raw?.wallSeconds ?? NaN,
      skopeo: skopeo?.wallSeconds ?? NaN,
      crane: crane?.wallSeconds ?? NaN,
    };
    console.log(
      `\nairlift import benchmark: ${(archive.size / 2 ** 20).toFixed(0)} MiB docker-archive, ${archive.layers.length} layers (half incompressible)\n`,
    );
    console.log("| contender | wall time | peak RSS | ratio to peers |\n| --- | --- | --- | --- |");
    for (const m of results) console.log(row(m, peers));
  } finally {
    s3.destroy();
    await minio.stop();
    if (!process.env.AIRLIFT_KEEP_ENV) rmSync(work, { recursive: true, force: true });
  }
}

await main();
