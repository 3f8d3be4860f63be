// The drop-box end to end (issue 19): archives dropped under a bucket prefix with a SHA256SUMS, imported by a real
// Manager into the real registry. Twenty archives (some gzip, one damaged after its line was written, one missing
// from the list, one replaced after import): eighteen land with the digests `crane digest` reads, the two are
// quarantined with their reasons, the replaced one is imported again, and each receipt in the bucket matches.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { ImageImport } from "../../src/api/image-import.ts";
import { createImageImportController } from "../../src/controllers/image-import.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startControllerManager } from "./controller-harness.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";
import { COSIGN_ENV } from "./verify-support.ts";
import { airlift } from "./cli-support.ts";

const ns = unique("dropbox");
const bucket = unique("dropbox");
const scratch = mkdtempSync(join(tmpdir(), "airlift-dropbox-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let s3: S3Client;
let registry: string;
const sums = new Map<string, string>();

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

async function put(key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function getText(key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await res.Body?.transformToString()) ?? "";
}

async function putSums(): Promise<void> {
  await put("g/SHA256SUMS", Buffer.from([...sums].map(([name, hex]) => `${hex}  ${name}\n`).join("")));
}

/** A docker-archive of a fresh one-layer image, tagged `dropbox/<name>:<tag>`. */
async function archive(name: string, tag: string, text: string): Promise<Buffer> {
  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(join(dir, "data.txt"), `${text}\n`.repeat(500));
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "data.txt"]);
  const seed = `${registry}/seed/${name}:${tag}`;
  await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", seed]);
  const tar = join(dir, "image.tar");
  await run("skopeo", [
    "copy",
    "--src-tls-verify=false",
    `docker://${seed}`,
    `docker-archive:${tar}:dropbox/${name}:${tag}`,
  ]);
  return readFileSync(tar);
}

async function get(name: string): Promise<ImageImport> {
  return admin.request<ImageImport>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/${name}`);
}

async function digestOf(ref: string): Promise<string> {
  return (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfigPath);
  admin = new KubeClient(kubeConfig);
  await ensureNamespace(admin, ns);
  await admin.request(`/api/v1/namespaces/${ns}/secrets`, {
    method: "POST",
    body: {
      metadata: { name: "bucket-keys" },
      type: "Opaque",
      stringData: { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey },
    },
  });
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  registry = env.registries.anonymous.host;
  for (let i = 0; i < 20; i++) {
    const bytes = await archive(`app${i}`, "1", `content of app ${i}`);
    const gz = i % 4 === 1;
    const name = gz ? `batch/app${i}.tar.gz` : `app${i}.tar`;
    const body = gz ? gzipSync(bytes) : bytes;
    // app5 is damaged after its line was written; app7 never gets a line.
    if (i !== 7) sums.set(name, sha256(body));
    await put(
      `g/${name}`,
      i === 5 ? Buffer.concat([body.subarray(0, 4096), Buffer.alloc(100), body.subarray(4196)]) : body,
    );
  }
  await put("g/README.txt", Buffer.from("not an archive: the patterns skip it\n"));
  await putSums();
  manager = await startControllerManager(kubeConfig, ns, createImageImportController, 2);
});

after(async () => {
  await manager.stop();
  await admin.close();
  s3.destroy();
});

describe("ImageImport drop-box", () => {
  it("imports the 18 good archives, quarantines the damaged and the unlisted, and receipts each import", async () => {
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name: "site-drop", namespace: ns },
        spec: {
          source: {
            s3: {
              endpoint: env.minio.endpoint,
              bucket,
              prefix: "g/",
              match: ["*.tar", "batch/*.tar.gz"],
              credentialsSecretRef: { name: "bucket-keys" },
            },
          },
          destination: { registry, plainHTTP: true, rewrite: { repositoryPrefix: "site/" } },
          interval: "5s",
          parallelImports: 3,
        },
      },
    });
    const obj = await waitFor(
      "the drop-box settles every archive",
      async () => {
        const o = await get("site-drop");
        const d = o.status?.dropBox;
        return d && d.matched === 20 && d.pending === 0 ? o : undefined;
      },
      240_000,
    );
    const box = obj.status?.dropBox;
    assert.deepEqual([box?.imported, box?.quarantined, box?.failed], [18, 2, 0]);
    const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "False");
    const stalled = obj.status?.conditions?.find((c) => c.type === "Stalled");
    assert.equal(stalled?.status, "True");
    assert.match(stalled?.message ?? "", /batch\/app5\.tar\.gz \(ChecksumMismatch/);
    assert.match(stalled?.message ?? "", /app7\.tar \(NotListed/);
    const cm = await admin.request<{ data: Record<string, string> }>(
      `/api/v1/namespaces/${ns}/configmaps/${box?.outcomesConfigMap}`,
    );
    const lines = cm.data["outcomes.tsv"]?.split("\n").filter((l) => l && !l.startsWith("#")) ?? [];
    assert.equal(lines.length, 20);
    assert.ok(lines.some((l) => l.startsWith("batch/app5.tar.gz\tquarantined\t") && l.includes("ChecksumMismatch")));
    for (const [i, name] of [...sums.keys()].entries()) {
      if (name === "batch/app5.tar.gz") continue;
      const receipt = JSON.parse(await getText(`g/.airlift/receipts/${name}.json`)) as {
        source: { sha256: string; key: string };
        images: { references: string[]; digest: string }[];
        importedBy: { object: string };
      };
      assert.equal(receipt.source.sha256, sums.get(name), `receipt ${i} hash`);
      assert.equal(receipt.importedBy.object, `${ns}/site-drop`);
      const ref = receipt.images[0]?.references[0] ?? "";
      assert.match(ref, /site\/dropbox\/app\d+:1$/);
      assert.equal(receipt.images[0]?.digest, await digestOf(ref), `${name} digest`);
    }
    await assert.rejects(getText("g/.airlift/receipts/batch/app5.tar.gz.json"));
    await assert.rejects(getText("g/.airlift/receipts/app7.tar.json"));
    const tags = (await run("crane", ["ls", "--insecure", `${registry}/site/dropbox/app7`], { allowFailure: true }))
      .stdout;
    assert.doesNotMatch(tags, /\b1\b/);
  });

  it("imports a replaced archive again at its new ETag, and only that one", async () => {
    const untouched = await getText("g/.airlift/receipts/app2.tar.json");
    const bytes = await archive("app0", "1", "app 0, second release");
    sums.set("app0.tar", sha256(bytes));
    await putSums();
    await put("g/app0.tar", bytes);
    const old = await digestOf(`${registry}/site/dropbox/app0:1`);
    const receipt = await waitFor(
      "the replaced archive is imported again (its receipt names the new bytes)",
      async () => {
        const r = JSON.parse(await getText("g/.airlift/receipts/app0.tar.json")) as {
          source: { sha256: string };
          images: { digest: string }[];
        };
        return r.source.sha256 === sha256(bytes) ? r : undefined;
      },
      60_000,
    );
    assert.equal(await digestOf(`${registry}/site/dropbox/app0:1`), receipt.images[0]?.digest);
    assert.notEqual(receipt.images[0]?.digest, old);
    assert.equal(await getText("g/.airlift/receipts/app2.tar.json"), untouched, "an unchanged archive is not redone");
    const after = await waitFor(
      "status counts the new import",
      async () => {
        const o = await get("site-drop");
        return o.status?.dropBox?.pending === 0 && o.status.dropBox.recent?.[0]?.name === "app0.tar" ? o : undefined;
      },
      30_000,
    );
    assert.equal(after.status?.dropBox?.imported, 18);
  });
});

describe("ImageImport drop-box with a signed SHA256SUMS", () => {
  async function signedBox(keyName: string): Promise<string> {
    const name = unique("signed");
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name, namespace: ns },
        spec: {
          source: {
            s3: {
              endpoint: env.minio.endpoint,
              bucket,
              prefix: "signed/",
              credentialsSecretRef: { name: "bucket-keys" },
            },
          },
          destination: { registry, plainHTTP: true, rewrite: { repositoryPrefix: `${name}/` } },
          interval: "5s",
          verify: { provider: "cosign", publicKeysSecretRef: { name: keyName } },
        },
      },
    });
    return name;
  }

  it("quarantines every archive when the list is signed by another key, imports them with the right one", async () => {
    const keys = mkdtempSync(join(scratch, "keys-"));
    for (const k of ["release", "stranger"]) {
      await run("cosign", ["generate-key-pair", "--output-key-prefix", join(keys, k)], { env: COSIGN_ENV });
      await admin.request(`/api/v1/namespaces/${ns}/secrets`, {
        method: "POST",
        body: {
          metadata: { name: `${k}-key` },
          stringData: { "cosign.pub": readFileSync(join(keys, `${k}.pub`), "utf8") },
        },
      });
    }
    const list: string[] = [];
    for (const i of [1, 2]) {
      const bytes = await archive(`signed${i}`, "1", `signed content ${i}`);
      await put(`signed/s${i}.tar`, bytes);
      list.push(`${sha256(bytes)}  s${i}.tar`);
    }
    const listFile = join(keys, "SHA256SUMS");
    writeFileSync(listFile, `${list.join("\n")}\n`);
    await run(
      "cosign",
      [
        "sign-blob",
        "--key",
        join(keys, "release.key"),
        "--tlog-upload=false",
        "--use-signing-config=false",
        "--new-bundle-format=false",
        "--output-signature",
        `${listFile}.sig`,
        "-y",
        listFile,
      ],
      { env: COSIGN_ENV },
    );
    await put("signed/SHA256SUMS", readFileSync(listFile));
    await put("signed/SHA256SUMS.sig", readFileSync(`${listFile}.sig`));

    const wrong = await signedBox("stranger-key");
    const refused = await waitFor(
      "every archive quarantined",
      async () => {
        const o = await get(wrong);
        return o.status?.dropBox?.quarantined === 2 ? o : undefined;
      },
      60_000,
    );
    const stalled = refused.status?.conditions?.find((c) => c.type === "Stalled");
    assert.equal(stalled?.reason, "SignatureInvalid");
    const none = await run("crane", ["ls", "--insecure", `${registry}/${wrong}/dropbox/signed1`], {
      allowFailure: true,
    });
    assert.doesNotMatch(none.stdout, /\b1\b/);

    const right = await signedBox("release-key");
    const done = await waitFor(
      "both archives imported",
      async () => {
        const o = await get(right);
        return o.status?.dropBox?.imported === 2 ? o : undefined;
      },
      60_000,
    );
    const fingerprint = (
      await run("sh", ["-c", `openssl pkey -pubin -in ${join(keys, "release.pub")} -outform DER | sha256sum`])
    ).stdout.split(" ")[0];
    assert.equal(done.status?.dropBox?.checksumList?.signedBy, `sha256:${fingerprint}`);
    assert.equal(done.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
  });
});

describe("airlift import s3://bucket/prefix/ (the drop-box once, from the CLI)", () => {
  it("imports the listed archives, quarantines the unlisted, exits 4, and skips receipted ones on a second run", async () => {
    const list: string[] = [];
    for (const i of [1, 2, 3]) {
      const bytes = await archive(`cli${i}`, "1", `cli content ${i}`);
      await put(`cli/c${i}.tar`, bytes);
      if (i !== 3) list.push(`${sha256(bytes)}  c${i}.tar`);
    }
    await put("cli/SHA256SUMS", Buffer.from(`${list.join("\n")}\n`));
    const cliEnv = {
      AWS_ACCESS_KEY_ID: env.minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
      AWS_ENDPOINT_URL_S3: env.minio.endpoint,
      HOME: scratch,
    };
    const args = ["import", `s3://${bucket}/cli/`, registry, "--repository-prefix", "clibox", "--plain-http"];
    const first = airlift([...args, "--match", "*.tar", "--progress", "none"], cliEnv);
    assert.equal(first.code, 4, first.stderr);
    assert.match(first.stdout, /^imported {4}c1\.tar: .*clibox\/dropbox\/cli1:1@sha256:/m);
    assert.match(first.stdout, /^quarantined c3\.tar: NotListed: /m);
    assert.match(first.stderr, /3 archive\(s\) matched: 2 imported, 1 quarantined, 0 failed, 0 already imported/);
    const receipt = JSON.parse(await getText("cli/.airlift/receipts/c2.tar.json")) as {
      images: { references: string[]; digest: string }[];
      importedBy: { identity: string };
    };
    assert.equal(receipt.images[0]?.digest, await digestOf(`${registry}/clibox/dropbox/cli2:1`));
    assert.match(receipt.importedBy.identity, /@/);
    const second = airlift([...args, "--progress", "none"], cliEnv);
    assert.equal(second.code, 4);
    assert.match(second.stderr, /3 archive\(s\) matched: 0 imported, 1 quarantined, 0 failed, 2 already imported/);
  });
});

describe("a drop-box named by a template (archives without a repository of their own)", () => {
  it("puts an OCI archive's image under the repository its key names, with its own tag, from the CLI and the operator", async () => {
    const seedRef = `${registry}/seed/templated:1`;
    const dir = mkdtempSync(join(scratch, "tmpl-"));
    writeFileSync(join(dir, "f.txt"), "templated\n");
    await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "f.txt"]);
    await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", seedRef]);
    // An OCI archive names its image by a tag only: with rewrite it could not be placed.
    const tar = join(dir, "app.tar");
    await run("skopeo", ["copy", "--src-tls-verify=false", `docker://${seedRef}`, `oci-archive:${tar}:1.0`]);
    for (const prefix of ["tmpl-cli", "tmpl-op"]) await put(`${prefix}/team/My_App.tar`, readFileSync(tar));
    const cli = airlift(
      [
        "import",
        `s3://${bucket}/tmpl-cli/`,
        registry,
        "--repository-template",
        "cli/{dir}/{name}",
        "--plain-http",
        "--progress",
        "none",
      ],
      {
        AWS_ACCESS_KEY_ID: env.minio.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
        AWS_ENDPOINT_URL_S3: env.minio.endpoint,
        HOME: scratch,
      },
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /cli\/team\/my_app:1\.0@sha256:/);
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name: "templated", namespace: ns },
        spec: {
          source: {
            s3: {
              endpoint: env.minio.endpoint,
              bucket,
              prefix: "tmpl-op/",
              credentialsSecretRef: { name: "bucket-keys" },
            },
          },
          destination: { registry, plainHTTP: true, repositoryTemplate: "op/{dir}/{name}" },
          interval: "5s",
        },
      },
    });
    await waitFor("the templated archive imported", async () => {
      const o = await get("templated");
      return o.status?.dropBox?.imported === 1 ? o : undefined;
    });
    assert.equal(await digestOf(`${registry}/op/team/my_app:1.0`), await digestOf(`${registry}/cli/team/my_app:1.0`));
  });
});
