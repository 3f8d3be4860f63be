// `npm run bench`: airlift's import against its peers, side by side in one run on this machine.
// Generates a docker-archive (BENCH_SIZE_MB, default 1024) of several layers, half incompressible and half
// compressible, puts it in MinIO, then times: airlift import (preserve, gzip and zstd) straight from MinIO; skopeo copy
// and crane push (each downloading the archive first, as the runbook does, and each gzip-compressing the layers); and
// the raw limit (the object's bytes moved into the registry as one blob with no processing). Every contender gets a
// fresh registry. Columns: wall time, CPU-seconds of the contender's own process (and per GiB of archive), peak RSS,
// the layer bytes the registry stores, and wall/CPU ratios to the peers. A verified row (--verify-key, a cosign
// signature placed beforehand: verified-import.ts) is compared with the unverified preserve row of the same run.
// BENCH_ONLY=verify runs only those two rows.
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
import { cranePeer, putFile, rawLimit, skopeoPeer, storedLayerBytes } from "./peers.ts";
import { verifiedPair } from "./verified-import.ts";

const sizeMiB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const verifyOnly = process.env.BENCH_ONLY === "verify";
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

/** Runs `measure` against `reg` and adds the layer bytes it stored under `repository:tag`. */
async function withStored(
  reg: RegistryEnv,
  image: string,
  measureIt: (reg: RegistryEnv) => Promise<Measurement>,
): Promise<Measurement> {
  const m = await measureIt(reg);
  const [repository = "", tag = ""] = image.split(":");
  return { ...m, storedBytes: await storedLayerBytes(reg.url, repository, tag) };
}

function row(m: Measurement, gib: number, peers: Record<string, Measurement | undefined>): string {
  const ratios = Object.entries(peers)
    .filter(([, p]) => p && p !== m)
    .map(([name, p]) => {
      const cpu = name === "raw" ? "" : `, CPU ${(m.cpuSeconds / (p?.cpuSeconds ?? NaN)).toFixed(2)}×`;
      return `${name}: wall ${(m.wallSeconds / (p?.wallSeconds ?? NaN)).toFixed(2)}×${cpu}`;
    })
    .join("; ");
  const rss = Number.isNaN(m.peakRssMiB) ? "-" : `${m.peakRssMiB.toFixed(0)} MiB`;
  const stored = m.storedBytes === undefined ? "-" : `${(m.storedBytes / 2 ** 20).toFixed(0)} MiB`;
  const cpu = `${m.cpuSeconds.toFixed(1)} s | ${(m.cpuSeconds / gib).toFixed(1)}`;
  return `| ${m.label} | ${m.wallSeconds.toFixed(1)} s | ${cpu} | ${rss} | ${stored} | ${ratios} |`;
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
    const airlift =
      (compression: string, extra: string[] = [], label = `airlift import (${compression})`) =>
      (reg: RegistryEnv) =>
        withStored(reg, "bench/airlift:v1", (r) => airliftImport(r, compression, extra, label));
    const airliftImport = (
      reg: RegistryEnv,
      compression: string,
      extra: string[],
      label: string,
    ): Promise<Measurement> =>
      measure(
        label,
        ...airliftArgs([
          "import",
          "s3://bench/g/app.tar",
          `${reg.host}/bench/airlift:v1`,
          "--plain-http",
          "--layer-compression",
          compression,
          "--progress",
          "none",
          ...extra,
        ]),
        s3Env,
      );
    const results: Measurement[] = [];
    const raw = verifyOnly
      ? undefined
      : await withRegistry("raw", (reg) => rawLimit(s3, "bench", "g/app.tar", reg.url, "bench/raw", archiveDigest));
    if (raw) results.push(raw);
    const pair = await verifiedPair({
      rounds: Number(process.env.BENCH_VERIFY_ROUNDS ?? 2),
      work,
      withRegistry,
      plain: airlift("preserve"),
      verified: (reg, pub) =>
        airlift("preserve", ["--verify-key", pub], "airlift import (preserve, --verify-key)")(reg),
    });
    const { plain: preserve, verified } = pair;
    results.push(preserve, verified);
    if (!verifyOnly) {
      results.push(await withRegistry("airlift-gzip", airlift("gzip")));
      results.push(await withRegistry("airlift-zstd", airlift("zstd")));
    }
    const skopeo = verifyOnly
      ? undefined
      : await withRegistry("skopeo", (reg) =>
          withStored(reg, "bench/skopeo:v1", (r) =>
            skopeoPeer(s3, "bench", "g/app.tar", local, `${r.host}/bench/skopeo:v1`),
          ),
        );
    if (skopeo) results.push(skopeo);
    rmSync(local, { force: true });
    const crane = verifyOnly
      ? undefined
      : await withRegistry("crane", (reg) =>
          withStored(reg, "bench/crane:v1", (r) =>
            cranePeer(s3, "bench", "g/app.tar", local, `${r.host}/bench/crane:v1`),
          ),
        );
    if (crane) results.push(crane);
    rmSync(local, { force: true });
    const peers = { raw, skopeo, crane };
    const gib = archive.size / 2 ** 30;
    console.log(
      `\nairlift import benchmark: ${(archive.size / 2 ** 20).toFixed(0)} MiB docker-archive, ${archive.layers.length} layers (half incompressible)\n`,
    );
    console.log(
      "| contender | wall time | CPU-s | CPU-s/GiB | peak RSS | stored layers | ratio to peers |\n| --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const m of results) console.log(row(m, gib, peers));
    const overhead = verified.wallSeconds / preserve.wallSeconds - 1;
    console.log(
      `\nverification overhead (--verify-key vs the same preserve import): wall ${(100 * overhead).toFixed(1)} % ` +
        `(fastest of ${pair.verifiedWalls.map((w) => w.toFixed(1)).join(", ")} s vs ${pair.plainWalls.map((w) => w.toFixed(1)).join(", ")} s), ` +
        `CPU ${(verified.cpuSeconds / preserve.cpuSeconds).toFixed(2)}×; target < 5 %`,
    );
  } finally {
    s3.destroy();
    await minio.stop();
    if (!process.env.AIRLIFT_KEEP_ENV) rmSync(work, { recursive: true, force: true });
  }
}

await main();
