// importArchive end to end: archives written by skopeo and crane, put in MinIO, streamed into the real registry
// through the S3 source, then checked with crane and skopeo. Broken archives tag nothing.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3Source } from "../../src/storage/s3-source.ts";
import { importArchive } from "../../src/transfer/import-archive.ts";
import { classifyTransferError } from "../../src/transfer/errors.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-import-"));
const bucket = "transfer-import";
let env: EnvironmentConnection;
let s3: S3Client;
let registry: string;

async function put(key: string, bytes: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
}

async function source(key: string): Promise<S3Source> {
  return S3Source.open({ client: s3, bucket, key });
}

/** A two-layer image in the registry, made with crane, to export with skopeo. */
async function seedImage(ref: string, text: string): Promise<void> {
  const dir = mkdtempSync(join(scratch, "layer-"));
  for (const [i, name] of ["a.txt", "b.txt"].entries()) {
    writeFileSync(join(dir, name), `${text} ${i}\n`.repeat(1000));
    await run("tar", ["-C", dir, "-cf", join(dir, `${i}.tar`), name]);
  }
  await run("crane", ["append", "--insecure", "-f", join(dir, "0.tar"), "-t", ref]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "1.tar"), "-b", ref, "-t", ref]);
}

before(async () => {
  env = await testEnv();
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  registry = env.registries.anonymous.host;
  await seedImage(`${registry}/seed/app:1`, "app one");
  await seedImage(`${registry}/seed/tool:2`, "tool two");
});

describe("importArchive", () => {
  it("imports a skopeo docker-archive from S3 under new tags; crane validates it; a re-run uploads no blob", async () => {
    const tar = join(scratch, "oracle_db.tar");
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${registry}/seed/app:1`,
      `docker-archive:${tar}:oracle/db:19.3`,
    ]);
    await put("g/oracle_db.tar", readFileSync(tar));
    const result = await importArchive(await source("g/oracle_db.tar"), {
      destination: { registry, repository: "library/oracle_db", tags: ["19.3", "latest"] },
      connection: { plainHttp: true },
    });
    assert.equal(result.images.length, 1);
    assert.deepEqual(result.images[0]?.references, [
      `${registry}/library/oracle_db:19.3`,
      `${registry}/library/oracle_db:latest`,
    ]);
    assert.ok(result.blobsUploaded >= 3);
    // preserve keeps docker save's uncompressed layers (an OCI manifest); skopeo pulls every blob and checks its
    // digest (crane validate assumes gzip layers).
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${registry}/library/oracle_db:19.3`,
      `dir:${mkdtempSync(join(scratch, "pulled-"))}`,
    ]);
    const digest = (await run("crane", ["digest", "--insecure", `${registry}/library/oracle_db:latest`])).stdout.trim();
    assert.equal(digest, result.images[0]?.digest);
    const srcConfig = (await run("crane", ["config", "--insecure", `${registry}/seed/app:1`])).stdout;
    const dstConfig = (await run("crane", ["config", "--insecure", `${registry}/library/oracle_db:19.3`])).stdout;
    assert.equal(JSON.parse(dstConfig).rootfs.diff_ids.join(), JSON.parse(srcConfig).rootfs.diff_ids.join());

    const requests: string[] = [];
    const again = await importArchive(await source("g/oracle_db.tar"), {
      destination: { registry, repository: "library/oracle_db", tags: ["19.3", "latest"] },
      connection: { plainHttp: true, onRequest: (e) => requests.push(`${e.method} ${new URL(e.url).pathname}`) },
    });
    assert.equal(again.images[0]?.unchanged, true);
    assert.equal(again.blobsUploaded, 0);
    assert.deepEqual(
      requests.filter((r) => r.startsWith("POST") || r.startsWith("PATCH") || r.startsWith("PUT")),
      [],
    );
  });

  it("keeps every image of a multi-image archive under a project prefix, gzip-wrapped, with gzip layers", async () => {
    const tar = join(scratch, "multi.tar");
    await run("crane", [
      "pull",
      "--insecure",
      "--format=tarball",
      `${registry}/seed/app:1`,
      `${registry}/seed/tool:2`,
      tar,
    ]);
    await put("g/multi.tar.gz", gzipSync(readFileSync(tar)));
    const result = await importArchive(await source("g/multi.tar.gz"), {
      destination: { registry, repositoryPrefix: "mirror" },
      connection: { plainHttp: true },
      layerCompression: "gzip",
    });
    assert.deepEqual(
      result.images.map((i) => i.references[0]).sort(),
      [`${registry}/mirror/seed/app:1`, `${registry}/mirror/seed/tool:2`]
        .map((r) => r.replace(`${registry}/`, `${registry}/`))
        .sort(),
    );
    for (const ref of ["mirror/seed/app:1", "mirror/seed/tool:2"])
      await run("crane", ["validate", "--insecure", "--remote", `${registry}/${ref}`]);
  });

  it("imports an OCI archive with layerCompression none into the basic-auth TLS registry", async () => {
    const tls = env.registries["basic-tls"];
    const tar = join(scratch, "oci.tar");
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${registry}/seed/tool:2`,
      `oci-archive:${tar}:tool:2`,
    ]);
    await put("g/oci.tar", readFileSync(tar));
    const result = await importArchive(await source("g/oci.tar"), {
      destination: { registry: tls.host, repository: "team/tool", tags: ["2"] },
      connection: {
        caPem: tls.caPem ?? "",
        credentials: { kind: "basic", username: tls.username ?? "", password: tls.password ?? "" },
      },
      layerCompression: "none",
    });
    assert.equal(result.images[0]?.mediaType, "application/vnd.oci.image.manifest.v1+json");
    const manifest = JSON.parse(
      (
        await run("skopeo", [
          "inspect",
          "--raw",
          "--cert-dir",
          join(scratch),
          `--creds=${tls.username}:${tls.password}`,
          "--tls-verify=false",
          `docker://${tls.host}/team/tool:2`,
        ])
      ).stdout,
    );
    assert.ok(
      manifest.layers.every((l: { mediaType: string }) => l.mediaType === "application/vnd.oci.image.layer.v1.tar"),
    );
  });

  it("refuses a truncated archive and a tampered layer, tagging nothing", async () => {
    const tar = readFileSync(join(scratch, "oracle_db.tar"));
    await put("g/truncated.tar", tar.subarray(0, Math.floor(tar.length / 2)));
    const truncated = await importArchive(await source("g/truncated.tar"), {
      destination: { registry, repository: "bad/truncated", tags: ["1"] },
      connection: { plainHttp: true },
    }).catch((e: unknown) => e);
    assert.equal(classifyTransferError(truncated).reason, "InvalidArchive");
    assert.equal(classifyTransferError(truncated).transient, false);

    // Flip one byte inside the first layer's data (after the first 512-byte header of a member that is a layer).
    const tampered = Buffer.from(tar);
    const layerAt = tampered.indexOf(Buffer.from("app one 0"));
    assert.ok(layerAt > 0);
    tampered[layerAt] = tampered[layerAt]! ^ 0xff;
    await put("g/tampered.tar", tampered);
    const mismatch = await importArchive(await source("g/tampered.tar"), {
      destination: { registry, repository: "bad/tampered", tags: ["1"] },
      connection: { plainHttp: true },
    }).catch((e: unknown) => e);
    assert.equal(classifyTransferError(mismatch).reason, "DigestMismatch");
    for (const repo of ["bad/truncated", "bad/tampered"]) {
      const tags = await run("crane", ["ls", "--insecure", `${registry}/${repo}`], { allowFailure: true });
      assert.equal(tags.stdout.trim(), "", `${repo} has tags: ${tags.stdout}`);
    }
  });
});
