// ArtifactPull with spec.verify, with the real cosign: a signed image (legacy .sig and bundle) is pulled into the
// bucket and SourceVerified names the key and the signature; an unsigned one, another key's signature, a payload
// naming another image and a flipped bundle are Stalled with their reason and nothing reaches the bucket prefix.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { ArtifactPull } from "../../src/api/artifact-pull.ts";
import { createArtifactPullController } from "../../src/controllers/artifact-pull.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import { s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startControllerManager } from "./controller-harness.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";
import { attachFlippedBundle, crane, keyPair, seedImage, sign, sigTag } from "./verify-support.ts";

const ns = unique("verify-ap");
const bucket = unique("pulled");
const scratch = mkdtempSync(join(tmpdir(), "airlift-verify-ap-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let s3: S3Client;
let registry: string;
let k1: string;
let k2: string;

async function pullWithVerify(
  name: string,
  repository: string,
  keysRef: Record<string, string> = { name: "cosign-keys" },
): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ArtifactPull",
      metadata: { name, namespace: ns },
      spec: {
        source: { registry, plainHTTP: true, project: "verify", repository, tag: "1" },
        destination: {
          s3: { endpoint: env.minio.endpoint, bucket, prefix: `${name}/`, credentialsSecretRef: { name: "s3-keys" } },
        },
        extract: true,
        interval: "1h",
        verify: { provider: "cosign", publicKeysSecretRef: keysRef },
      },
    },
  });
}

async function settled(name: string): Promise<ArtifactPull> {
  return waitFor(`ArtifactPull ${name} settled`, async () => {
    const obj = await admin.request<ArtifactPull>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls/${name}`);
    const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
    const current = obj.status?.observedGeneration === obj.metadata.generation;
    const stalled = obj.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True");
    return current && (ready?.status === "True" || stalled) ? obj : undefined;
  });
}

function condition(obj: ArtifactPull, type: string): { status: string; reason: string; message: string } | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfigPath);
  admin = new KubeClient(kubeConfig);
  await ensureNamespace(admin, ns);
  registry = env.registries.anonymous.host;
  k1 = await keyPair(scratch, "k1");
  k2 = await keyPair(scratch, "k2");
  const secret = (name: string, stringData: Record<string, string>): Promise<unknown> =>
    admin.request(`/api/v1/namespaces/${ns}/secrets`, {
      method: "POST",
      body: { metadata: { name }, type: "Opaque", stringData },
    });
  await secret("s3-keys", { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey });
  await secret("cosign-keys", { "cosign.pub": readFileSync(`${k1}.pub`, "utf8") });
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  manager = await startControllerManager(kubeConfig, ns, createArtifactPullController, 3);
});

after(async () => {
  await manager.stop();
  await admin.close();
  s3.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

describe("ArtifactPull with spec.verify", () => {
  for (const form of ["legacy", "bundle"] as const) {
    it(`pulls a ${form}-signed image into the bucket; SourceVerified names key and signature`, async () => {
      const repo = `${registry}/verify/${form}`;
      const digest = await seedImage(scratch, `${repo}:1`, `pulled ${form}`);
      await sign(k1, `${repo}@${digest}`, form);
      await pullWithVerify(`signed-${form}`, form);
      const obj = await settled(`signed-${form}`);
      assert.equal(condition(obj, "Ready")?.status, "True", condition(obj, "Ready")?.message);
      const verified = condition(obj, "SourceVerified");
      assert.equal(verified?.status, "True");
      assert.ok(verified?.message.includes(digest), verified?.message);
      assert.match(verified?.message ?? "", /by key sha256:[0-9a-f]{64} \(ec-p256\)/);
      const keys = (await listPrefix(s3, bucket, `signed-${form}/`)).map((o) => o.key);
      assert.ok(keys.includes(`signed-${form}/extracted/f.txt`), keys.join(", "));
    });
  }

  const refusals: { name: string; reason: string; prepare: (repo: string) => Promise<void> }[] = [
    { name: "unsigned", reason: "SignatureMissing", prepare: async () => undefined },
    {
      name: "other-key",
      reason: "SignatureKeyUnknown",
      prepare: async (repo) => sign(k2, `${repo}@${await crane("digest", `${repo}:1`)}`, "bundle"),
    },
    {
      name: "swapped",
      reason: "SignatureInvalid",
      prepare: async (repo) => {
        const signed = await seedImage(scratch, `${repo}:a`, "another image");
        await sign(k1, `${repo}@${signed}`, "legacy");
        await crane("copy", `${repo}:${sigTag(signed)}`, `${repo}:${sigTag(await crane("digest", `${repo}:1`))}`);
      },
    },
    {
      name: "flipped",
      reason: "SignatureInvalid",
      prepare: async (repo) => {
        const digest = await crane("digest", `${repo}:1`);
        const signedRepo = `${repo}-signed`;
        await crane("copy", `${repo}:1`, `${signedRepo}:1`);
        await sign(k1, `${signedRepo}@${digest}`, "bundle");
        await attachFlippedBundle(scratch, signedRepo, digest, repo);
      },
    },
  ];
  it("reads keys of another namespace only with a grant: CrossNamespaceRefNotAllowed, nothing published", async () => {
    const other = unique("verify-keys");
    await ensureNamespace(admin, other);
    await admin.request(`/api/v1/namespaces/${other}/secrets`, {
      method: "POST",
      body: { metadata: { name: "cosign-keys" }, stringData: { "cosign.pub": readFileSync(`${k1}.pub`, "utf8") } },
    });
    await pullWithVerify("foreign-keys", "legacy", { name: "cosign-keys", namespace: other });
    const obj = await settled("foreign-keys");
    assert.equal(condition(obj, "Stalled")?.reason, "CrossNamespaceRefNotAllowed", condition(obj, "Ready")?.message);
    assert.deepEqual(await listPrefix(s3, bucket, "foreign-keys/"), []);
  });

  for (const r of refusals) {
    it(`refuses ${r.name}: Stalled ${r.reason}, nothing published`, async () => {
      const repo = `${registry}/verify/${r.name}`;
      await seedImage(scratch, `${repo}:1`, `refused ${r.name}`);
      await r.prepare(repo);
      await pullWithVerify(r.name, r.name);
      const obj = await settled(r.name);
      assert.equal(condition(obj, "Stalled")?.reason, r.reason, condition(obj, "Ready")?.message);
      assert.equal(condition(obj, "SourceVerified")?.status, "False");
      assert.equal(condition(obj, "SourceVerified")?.reason, r.reason);
      assert.deepEqual(await listPrefix(s3, bucket, `${r.name}/`), [], "nothing under the prefix");
    });
  }
});
