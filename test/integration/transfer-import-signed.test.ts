// Signatures carried by an import without airlift's verify block: images signed by the real cosign (`--key`, no
// transparency log), exported with `cosign save`, tarred and put in MinIO, imported into another repository; the
// destination then passes the real `cosign verify --key`. A multi-arch index signed with a legacy `.sig`, and an
// image signed with a sigstore bundle (OCI 1.1 referrer, which `cosign save` leaves unlisted in index.json).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3Source } from "../../src/storage/s3-source.ts";
import { importArchive } from "../../src/transfer/import-archive.ts";
import { run, s3Client, testEnv } from "../env/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-import-signed-"));
const bucket = "transfer-import-signed";
const cosignEnv = { COSIGN_PASSWORD: "test-password" };
let s3: S3Client;
let registry: string;
let key: string;

async function crane(...args: string[]): Promise<string> {
  return (await run("crane", [...args, "--insecure"])).stdout.trim();
}

async function image(ref: string, platform: string): Promise<string> {
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "f.txt"), `${ref} ${platform}\n`);
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "f.txt"]);
  await crane("append", "--oci-empty-base", "-f", join(dir, "l.tar"), "-t", ref);
  await crane("mutate", "--set-platform", platform, ref, "-t", ref);
  return crane("digest", ref);
}

async function sign(ref: string, legacy: boolean): Promise<void> {
  const flags = ["--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", "-y"];
  const format = legacy ? ["--new-bundle-format=false"] : [];
  await run("cosign", ["sign", "--key", `${key}.key`, ...flags, ...format, ref], { env: cosignEnv });
}

/** `cosign save` of `ref`, tarred, gzip-wrapped and put in MinIO under `name`; imported to `dest`. */
async function saveAndImport(ref: string, name: string, dest: { repository: string; tags: string[] }): Promise<void> {
  const dir = join(scratch, name);
  await run("cosign", ["save", "--dir", dir, "--allow-http-registry", ref]);
  const tar = join(scratch, `${name}.tar`);
  await run("tar", ["-C", dir, "-cf", tar, "."]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${name}.tar.gz`, Body: gzipSync(readFileSync(tar)) }));
  const source = await S3Source.open({ client: s3, bucket, key: `${name}.tar.gz` });
  const result = await importArchive(source, { destination: { registry, ...dest }, connection: { plainHttp: true } });
  assert.equal(result.images.length, 1, "the signatures are not images of their own");
}

async function cosignVerify(ref: string): Promise<string> {
  const args = ["verify", "--key", `${key}.pub`, "--insecure-ignore-tlog", "--allow-http-registry", ref];
  return (await run("cosign", args)).stdout;
}

before(async () => {
  const env = await testEnv();
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  registry = env.registries.anonymous.host;
  key = join(scratch, "k");
  await run("cosign", ["generate-key-pair", "--output-key-prefix", key], { env: cosignEnv });
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe("importArchive carries cosign signatures from a `cosign save` layout", () => {
  it("a signed multi-arch index (legacy .sig): same index digest, every child, cosign verify passes", async () => {
    const src = `${registry}/signed/multi`;
    await image(`${src}:amd`, "linux/amd64");
    await image(`${src}:arm`, "linux/arm64");
    await crane("index", "append", "-m", `${src}:amd`, "-m", `${src}:arm`, "-t", `${src}:1`);
    const digest = await crane("digest", `${src}:1`);
    await sign(`${src}@${digest}`, true);
    await saveAndImport(`${src}@${digest}`, "multi", { repository: "carried/multi", tags: ["1"] });
    const dest = `${registry}/carried/multi`;
    assert.equal(await crane("digest", `${dest}:1`), digest);
    const children = (JSON.parse(await crane("manifest", `${dest}:1`)) as { manifests: { digest: string }[] })
      .manifests;
    assert.equal(children.length, 2);
    for (const child of children) await crane("validate", "--remote", `${dest}@${child.digest}`);
    const sigTag = `${digest.replace(":", "-")}.sig`;
    assert.equal(await crane("digest", `${dest}:${sigTag}`), await crane("digest", `${src}:${sigTag}`));
    assert.match(await cosignVerify(`${dest}@${digest}`), new RegExp(digest));
  });

  it("an image signed with a sigstore bundle: the unlisted referrer travels, cosign verify passes", async () => {
    const src = `${registry}/signed/bundle`;
    const digest = await image(`${src}:1`, "linux/amd64");
    await sign(`${src}@${digest}`, false);
    await saveAndImport(`${src}@${digest}`, "bundle", { repository: "carried/bundle", tags: ["1"] });
    const dest = `${registry}/carried/bundle`;
    assert.equal(await crane("digest", `${dest}:1`), digest);
    await cosignVerify(`${dest}@${digest}`);
    // The unsigned neighbour does not verify: cosign checks, this is not a formality.
    const plain = await image(`${registry}/carried/bundle:plain`, "linux/arm64");
    await assert.rejects(cosignVerify(`${dest}@${plain}`));
  });
});
