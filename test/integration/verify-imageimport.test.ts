// ImageImport with spec.verify, end to end with the real cosign: an image signed in one registry (legacy .sig and
// sigstore bundle), exported with its signatures into an OCI layout tar, put in MinIO, imported by the reconciler
// into ANOTHER registry, where the real `cosign verify --key` passes. Refusals (unsigned, another key's signature, a
// payload naming another image, a flipped bundle) are Stalled with their reason and leave the tag unwritten.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { ImageImport } from "../../src/api/image-import.ts";
import { createImageImportController } from "../../src/controllers/image-import.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { s3Client, startRegistry, testEnv, type EnvironmentConnection, type RegistryEnv } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startControllerManager } from "./controller-harness.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";
import {
  attachFlippedBundle,
  cosignVerify,
  crane,
  keyPair,
  layoutTar,
  seedImage,
  sign,
  sigTag,
} from "./verify-support.ts";

const ns = unique("verify-ii");
const bucket = unique("signed");
const scratch = mkdtempSync(join(tmpdir(), "airlift-verify-ii-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let s3: S3Client;
let source: string;
let dest: RegistryEnv;
let k1: string;
let k2: string;

async function upload(key: string, tar: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(tar) }));
}

async function importWithVerify(name: string, key: string, repository: string): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ImageImport",
      metadata: { name, namespace: ns },
      spec: {
        source: { s3: { endpoint: env.minio.endpoint, bucket, key, credentialsSecretRef: { name: "s3-keys" } } },
        destination: { registry: dest.host, plainHTTP: true, repository, tags: ["1"] },
        verify: { provider: "cosign", publicKeysSecretRef: { name: "cosign-keys" } },
      },
    },
  });
}

async function settled(name: string): Promise<ImageImport> {
  return waitFor(`ImageImport ${name} settled`, async () => {
    const obj = await admin.request<ImageImport>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/${name}`);
    const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
    const current = obj.status?.observedGeneration === obj.metadata.generation;
    const stalled = obj.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True");
    return current && (ready?.status === "True" || stalled) ? obj : undefined;
  });
}

function condition(obj: ImageImport, type: string): { status: string; reason: string; message: string } | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/** Tags of `repository` at the destination that are not cosign's digest tags. */
async function plainTags(repository: string): Promise<string[]> {
  const listed = await crane("ls", `${dest.host}/${repository}`).catch(() => "");
  return listed.split("\n").filter((t) => t !== "" && !t.startsWith("sha256-"));
}

async function fingerprint(pub: string): Promise<string> {
  const { createHash, createPublicKey } = await import("node:crypto");
  const der = createPublicKey(readFileSync(pub, "utf8")).export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfigPath);
  admin = new KubeClient(kubeConfig);
  await ensureNamespace(admin, ns);
  source = env.registries.anonymous.host;
  dest = await startRegistry(join(scratch, "dest-registry"), "anonymous");
  k1 = await keyPair(scratch, "k1");
  k2 = await keyPair(scratch, "k2");
  const k3 = await keyPair(scratch, "k3");
  const secret = (name: string, stringData: Record<string, string>): Promise<unknown> =>
    admin.request(`/api/v1/namespaces/${ns}/secrets`, {
      method: "POST",
      body: { metadata: { name }, type: "Opaque", stringData },
    });
  await secret("s3-keys", { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey });
  // Two trusted keys in one Secret, and an entry that is not a key.
  await secret("cosign-keys", {
    "k3.pub": readFileSync(`${k3}.pub`, "utf8"),
    "k1.pub": readFileSync(`${k1}.pub`, "utf8"),
    README: "cosign public keys of the release team",
  });
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  manager = await startControllerManager(kubeConfig, ns, createImageImportController, 3);
});

after(async () => {
  await manager.stop();
  await admin.close();
  await dest.stop();
  s3.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

describe("ImageImport with spec.verify", () => {
  for (const form of ["legacy", "bundle"] as const) {
    it(`imports a ${form}-signed image into another registry, where cosign verify --key passes`, async () => {
      const repo = `${source}/signed/${form}`;
      const digest = await seedImage(scratch, `${repo}:1`, `signed ${form}`);
      await sign(k1, `${repo}@${digest}`, form);
      await upload(`${form}.tar`, await layoutTar(scratch, repo, "1", form === "legacy" ? digest : undefined));
      await importWithVerify(`signed-${form}`, `${form}.tar`, `verified/${form}`);
      const obj = await settled(`signed-${form}`);
      assert.equal(condition(obj, "Ready")?.status, "True", condition(obj, "Ready")?.message);
      const verified = condition(obj, "SourceVerified");
      assert.equal(verified?.status, "True");
      assert.equal(verified?.reason, "SignatureVerified");
      assert.ok(verified?.message.includes(await fingerprint(`${k1}.pub`)), verified?.message);
      assert.ok(verified?.message.includes(digest), verified?.message);
      const format = form === "legacy" ? "simple-signing" : "bundle";
      assert.match(verified?.message ?? "", new RegExp(`${format} signature sha256:[0-9a-f]{64}`));
      assert.equal(await crane("digest", `${dest.host}/verified/${form}:1`), digest);
      await cosignVerify(k1, `${dest.host}/verified/${form}:1`);
    });
  }

  async function refused(name: string, tar: string, reason: string): Promise<void> {
    await upload(`${name}.tar`, tar);
    await importWithVerify(name, `${name}.tar`, `refused/${name}`);
    const obj = await settled(name);
    assert.equal(condition(obj, "Stalled")?.reason, reason, condition(obj, "Ready")?.message);
    assert.equal(condition(obj, "Ready")?.reason, reason);
    assert.equal(condition(obj, "SourceVerified")?.status, "False");
    assert.equal(condition(obj, "SourceVerified")?.reason, reason);
    assert.deepEqual(await plainTags(`refused/${name}`), [], "nothing is tagged");
  }

  it("refuses an unsigned image: Stalled SignatureMissing, nothing tagged", async () => {
    const repo = `${source}/unsigned/app`;
    await seedImage(scratch, `${repo}:1`, "unsigned");
    await refused("unsigned", await layoutTar(scratch, repo, "1"), "SignatureMissing");
  });

  it("refuses a signature by another key: Stalled SignatureKeyUnknown, nothing tagged", async () => {
    const repo = `${source}/other-key/app`;
    const digest = await seedImage(scratch, `${repo}:1`, "other key");
    await sign(k2, `${repo}@${digest}`, "legacy");
    await refused("other-key", await layoutTar(scratch, repo, "1", digest), "SignatureKeyUnknown");
  });

  it("refuses a valid signature whose payload names another image: SignatureInvalid, nothing tagged", async () => {
    const repo = `${source}/swapped/app`;
    const signed = await seedImage(scratch, `${repo}:a`, "signed a");
    await sign(k1, `${repo}@${signed}`, "legacy");
    const other = await seedImage(scratch, `${repo}:1`, "unsigned b");
    await crane("copy", `${repo}:${sigTag(signed)}`, `${repo}:${sigTag(other)}`);
    await refused("swapped", await layoutTar(scratch, repo, "1", other), "SignatureInvalid");
  });

  it("refuses a bundle whose signature was flipped: SignatureInvalid, nothing tagged", async () => {
    const signedRepo = `${source}/flip-src/app`;
    const digest = await seedImage(scratch, `${signedRepo}:1`, "flipped");
    await sign(k1, `${signedRepo}@${digest}`, "bundle");
    // The same image elsewhere, carrying only the altered bundle.
    const repo = `${source}/flipped/app`;
    await crane("copy", `${signedRepo}:1`, `${repo}:1`);
    await attachFlippedBundle(scratch, signedRepo, digest, repo);
    await refused("flipped", await layoutTar(scratch, repo, "1"), "SignatureInvalid");
  });
});
