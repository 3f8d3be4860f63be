// Multi-arch indexes and referrers through importArchive, with real tools on both ends: an index assembled with
// crane, a referrer attached with oras, a cosign-style `.sig` tag; exported with skopeo (oci-archive, --all) and
// oras (layout with referrers), put in MinIO, imported, then checked with crane, skopeo and oras.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3Source } from "../../src/storage/s3-source.ts";
import { importArchive } from "../../src/transfer/import-archive.ts";
import type { ImportedImage } from "../../src/transfer/import-archive.ts";
import { run, s3Client, testEnv } from "../env/index.ts";
import { airlift } from "./cli-support.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-import-index-"));
const bucket = "transfer-import-index";
let s3: S3Client;
let registry: string;
let indexDigest: string;

async function put(key: string, bytes: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
}

async function crane(...args: string[]): Promise<string> {
  return (await run("crane", [...args, "--insecure"])).stdout.trim();
}

/** A one-layer image for `platform`, made with crane. */
async function seedPlatformImage(ref: string, platform: string): Promise<void> {
  const dir = mkdtempSync(join(scratch, "layer-"));
  writeFileSync(join(dir, "p.txt"), `${platform}\n`.repeat(2000));
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "p.txt"]);
  await crane("append", "--oci-empty-base", "-f", join(dir, "l.tar"), "-t", ref);
  await crane("mutate", "--set-platform", platform, ref, "-t", ref);
}

before(async () => {
  const env = await testEnv();
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  registry = env.registries.anonymous.host;
  await seedPlatformImage(`${registry}/seed/amd:1`, "linux/amd64");
  await seedPlatformImage(`${registry}/seed/arm:1`, "linux/arm64");
  await seedPlatformImage(`${registry}/seed/sig:1`, "linux/s390x"); // stands in for a cosign signature image
  await crane(
    "index",
    "append",
    "-m",
    `${registry}/seed/amd:1`,
    "-m",
    `${registry}/seed/arm:1`,
    "-t",
    `${registry}/seed/multi:1`,
  );
  indexDigest = await crane("digest", `${registry}/seed/multi:1`);
});

function childDigests(manifest: string): string[] {
  return (JSON.parse(manifest) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);
}

describe("importArchive with an image index", () => {
  it("pushes a skopeo --all OCI archive's index whole: same digest, every child, crane and skopeo agree", async () => {
    const tar = join(scratch, "multi.tar");
    await run("skopeo", [
      "copy",
      "--all",
      "--src-tls-verify=false",
      `docker://${registry}/seed/multi:1`,
      `oci-archive:${tar}:multi:1`,
    ]);
    await put("multi.tar", readFileSync(tar));
    // skopeo writes the index in OCI types (the source list may be converted): the archive's index is the source.
    const archived = (await run("skopeo", ["inspect", "--raw", `oci-archive:${tar}:multi:1`])).stdout;
    const sourceDigest = `sha256:${createHash("sha256").update(archived).digest("hex")}`;
    const started = Date.now();
    const result = await importArchive(await S3Source.open({ client: s3, bucket, key: "multi.tar" }), {
      destination: { registry, repository: "imported/multi", tags: ["1"] },
      connection: { plainHttp: true },
    });
    const ms = Date.now() - started;
    const image = result.images[0];
    assert.equal(image?.digest, sourceDigest);
    assert.equal(await crane("digest", `${registry}/imported/multi:1`), sourceDigest);
    const raw = await crane("manifest", `${registry}/imported/multi:1`);
    assert.equal(raw, archived.trim());
    const skopeoRaw = (
      await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry}/imported/multi:1`])
    ).stdout.trim();
    assert.equal(skopeoRaw, raw);
    const children = childDigests(raw);
    assert.deepEqual(
      image?.children?.map((c) => c.digest),
      children,
    );
    assert.deepEqual(image?.children?.map((c) => c.platform).sort(), ["linux/amd64", "linux/arm64"]);
    for (const child of children) {
      await crane("validate", "--remote", `${registry}/imported/multi@${child}`);
    }
    process.stdout.write(
      `# index import: ${children.length} children, ${result.bytesUploaded} bytes uploaded, ${ms} ms\n`,
    );
  });

  it("airlift import --platform keeps a subset: a reduced index, its children only, status naming both digests", async () => {
    const tar = join(scratch, "multi.tar");
    const archived = (await run("skopeo", ["inspect", "--raw", `oci-archive:${tar}:multi:1`])).stdout;
    const sourceDigest = `sha256:${createHash("sha256").update(archived).digest("hex")}`;
    const armChild = (
      JSON.parse(archived) as { manifests: { digest: string; platform: { architecture: string } }[] }
    ).manifests
      .filter((m) => m.platform.architecture === "arm64")
      .map((m) => m.digest);
    const res = airlift(
      [
        "import",
        tar,
        `${registry}/subset/multi:arm`,
        "--platform",
        "linux/arm64",
        "--plain-http",
        "--progress",
        "none",
        "--json",
      ],
      {},
    );
    assert.equal(res.code, 0, res.stderr);
    const image = (JSON.parse(res.stdout) as { images: ImportedImage[] }).images[0];
    assert.equal(image?.sourceDigest, sourceDigest);
    assert.notEqual(image?.digest, sourceDigest);
    const raw = await crane("manifest", `${registry}/subset/multi:arm`);
    assert.deepEqual(childDigests(raw), armChild);
    assert.equal(await crane("digest", `${registry}/subset/multi:arm`), image?.digest);
    await crane("validate", "--remote", `${registry}/subset/multi@${armChild[0]}`);
    const refused = airlift(
      ["import", tar, `${registry}/subset/multi:none`, "--platform", "linux/s390x", "--plain-http"],
      {},
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no manifest for linux\/s390x/);
    await assert.rejects(crane("digest", `${registry}/subset/multi:none`));
  });

  it("carries an oras-attached referrer and a cosign-style .sig tag from a gzip-wrapped layout", async () => {
    const file = join(scratch, "sbom.json");
    writeFileSync(file, '{"sbom":true}\n');
    await run(
      "oras",
      [
        "attach",
        "--plain-http",
        "--artifact-type",
        "application/vnd.example.sbom+json",
        `${registry}/seed/multi@${indexDigest}`,
        `${file}:application/json`,
        "--disable-path-validation",
      ],
      { cwd: scratch },
    );
    const sigTag = `${indexDigest.replace(":", "-")}.sig`;
    await crane("copy", `${registry}/seed/sig:1`, `${registry}/seed/multi:${sigTag}`);
    const sigDigest = await crane("digest", `${registry}/seed/multi:${sigTag}`);
    const referrer = JSON.parse(
      (await run("oras", ["discover", "--plain-http", "--format", "json", `${registry}/seed/multi@${indexDigest}`]))
        .stdout,
    ) as { referrers?: { digest: string }[]; manifests?: { digest: string }[] };
    const attached = (referrer.referrers ?? referrer.manifests ?? [])[0]?.digest;
    assert.ok(attached, "oras attached a referrer");
    const layout = mkdtempSync(join(scratch, "layout-"));
    await run("oras", ["cp", "-r", "--from-plain-http", `${registry}/seed/multi:1`, "--to-oci-layout", `${layout}:1`]);
    await run("oras", [
      "cp",
      "--from-plain-http",
      `${registry}/seed/multi:${sigTag}`,
      "--to-oci-layout",
      `${layout}:${sigTag}`,
    ]);
    const tar = join(scratch, "signed.tar");
    await run("tar", ["-C", layout, "-cf", tar, "."]);
    await put("signed.tar.gz", gzipSync(readFileSync(tar)));
    const result = await importArchive(await S3Source.open({ client: s3, bucket, key: "signed.tar.gz" }), {
      destination: { registry, repository: "carried/multi", tags: ["1"] },
      connection: { plainHttp: true },
    });
    assert.equal(result.images.length, 1);
    const dest = result.images[0]?.references[0] ?? "";
    assert.equal(await crane("digest", dest), indexDigest);
    const repo = dest.slice(0, dest.lastIndexOf(":"));
    assert.equal(await crane("digest", `${repo}:${sigTag}`), sigDigest);
    const found = JSON.parse(
      (await run("oras", ["discover", "--plain-http", "--format", "json", `${repo}@${indexDigest}`])).stdout,
    ) as { referrers?: { digest: string }[]; manifests?: { digest: string }[] };
    const listed = (found.referrers ?? found.manifests ?? []).map((r) => r.digest);
    assert.ok(listed.includes(attached), `oras discover at the destination lists ${attached}: ${listed.join(", ")}`);
    assert.deepEqual(result.images[0]?.referrers?.map((r) => r.digest).sort(), [attached, sigDigest].sort());
  });
});
