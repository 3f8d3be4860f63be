// Content the samples of examples/ work on, put in the local environment by `npm run dev`: an image archive in a
// bucket (the runbook's oracle_db.tar), an artifact with two tags, and the Config Sync seed's test-namespace image.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { generateDockerArchive } from "../bench/generate-archive.ts";
import { run, s3Client, type Environment } from "../test/env/index.ts";

/** Buckets `airgap` (with g/oracle_db.tar) and `artifacts`. */
export async function seedBuckets(env: Environment): Promise<void> {
  const s3 = s3Client(env.minio);
  try {
    for (const bucket of ["airgap", "artifacts"]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const path = join(mkdtempSync(join(tmpdir(), "airlift-seed-")), "oracle_db.tar");
    await generateDockerArchive(path, 4 << 20, 3, "oracle/db:19.3");
    await s3.send(new PutObjectCommand({ Bucket: "airgap", Key: "g/oracle_db.tar", Body: readFileSync(path) }));
  } finally {
    s3.destroy();
  }
}

async function craneAppend(registry: string, ref: string, files: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "airlift-seed-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const layer = join(dir, "layer.tar");
  await run("tar", ["-C", dir, "-cf", layer, ...Object.keys(files)]);
  await run("crane", ["append", "--insecure", "-f", layer, "-t", `${registry}/${ref}`]);
}

/** apps/demo:1.0.0 then 1.1.0 (newest), and config/test-namespace:v1 holding the seed's Namespace manifest. */
export async function seedRegistry(registry: string): Promise<void> {
  await craneAppend(registry, "apps/demo:1.0.0", { "app.yaml": "version: 1.0.0\n" });
  await craneAppend(registry, "apps/demo:1.1.0", { "app.yaml": "version: 1.1.0\n" });
  await craneAppend(registry, "config/test-namespace:v1", {
    "test-namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n",
  });
}
