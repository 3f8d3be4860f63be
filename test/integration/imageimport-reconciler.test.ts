// The ImageImport reconciler end to end, in a real Manager against the real API server, MinIO and registry: the
// runbook's oracle_db.tar case (Ready with the right digest, as `kubectl wait` reads it), a multi-image archive with a
// rewrite, idempotence, and each failure with its own reason (retried or stalled as it should be).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { ImageImport } from "../../src/api/image-import.ts";
import { createImageImportController } from "../../src/controllers/image-import.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startControllerManager } from "./controller-harness.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";

const ns = unique("imports");
const bucket = unique("airgap");
const scratch = mkdtempSync(join(tmpdir(), "airlift-ii-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let s3: S3Client;
let registry: string;

async function seedImage(ref: string, text: string): Promise<void> {
  const dir = mkdtempSync(join(scratch, "layer-"));
  writeFileSync(join(dir, "data.txt"), `${text}\n`.repeat(2000));
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "data.txt"]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", ref]);
}

async function create(name: string, spec: Record<string, unknown>): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
    method: "POST",
    body: { apiVersion: "airlift.dev/v1alpha1", kind: "ImageImport", metadata: { name, namespace: ns }, spec },
  });
}

async function get(name: string): Promise<ImageImport> {
  return admin.request<ImageImport>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/${name}`);
}

/** What `kubectl wait --for=condition=Ready` waits for: Ready=True for the current generation. */
async function waitCondition(name: string, status: string, reason?: string, timeoutMs = 60_000): Promise<ImageImport> {
  let last = "";
  try {
    return await waitFor(
      `ImageImport ${name} Ready=${status}`,
      async () => {
        const obj = await get(name);
        const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
        last = `${ready?.status}/${ready?.reason}: ${ready?.message}`;
        const current = obj.status?.observedGeneration === obj.metadata.generation;
        return current && ready?.status === status && (!reason || ready.reason === reason) ? obj : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last Ready: ${last}`);
  }
}

function s3Spec(key: string, secret = "object-storage-key-std-user-7"): Record<string, unknown> {
  return { s3: { endpoint: env.minio.endpoint, bucket, key, credentialsSecretRef: { name: secret } } };
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfigPath);
  admin = new KubeClient(kubeConfig);
  await ensureNamespace(admin, ns);
  const secret = (name: string, data: Record<string, string>): Promise<unknown> =>
    admin.request(`/api/v1/namespaces/${ns}/secrets`, {
      method: "POST",
      body: { metadata: { name }, type: "Opaque", stringData: data },
    });
  await secret("object-storage-key-std-user-7", {
    "access-key-id": env.minio.accessKeyId,
    "secret-access-key": env.minio.secretAccessKey,
  });
  await secret("wrong-keys", { "access-key-id": env.minio.accessKeyId, "secret-access-key": "not-the-secret" });
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  registry = env.registries.anonymous.host;
  await seedImage(`${registry}/seed/oracle/db:19.3`, "oracle");
  await seedImage(`${registry}/seed/tool:1`, "tool");
  const tar = join(scratch, "oracle_db.tar");
  await run("skopeo", [
    "copy",
    "--src-tls-verify=false",
    `docker://${registry}/seed/oracle/db:19.3`,
    `docker-archive:${tar}:oracle/db:19.3`,
  ]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "g/oracle_db.tar", Body: readFileSync(tar) }));
  const multi = join(scratch, "multi.tar");
  await run("crane", [
    "pull",
    "--insecure",
    "--format=tarball",
    `${registry}/seed/oracle/db:19.3`,
    `${registry}/seed/tool:1`,
    multi,
  ]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "g/multi.tar", Body: readFileSync(multi) }));
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "g/corrupt.tar",
      Body: Buffer.from("this is not a tar archive at all".repeat(40)),
    }),
  );

  manager = await startControllerManager(kubeConfig, ns, createImageImportController, 3);
});

after(async () => {
  await manager.stop();
  await admin.close();
  s3.destroy();
});

describe("ImageImport", () => {
  it("imports the runbook's oracle_db.tar: pullable with crane, Ready with the right digest", async () => {
    await create("oracle-db", {
      source: s3Spec("g/oracle_db.tar"),
      destination: { registry, plainHTTP: true, repository: "gdc/oracle_db", tags: ["19.3"] },
    });
    const obj = await waitCondition("oracle-db", "True", "Succeeded");
    const digest = (await run("crane", ["digest", "--insecure", `${registry}/gdc/oracle_db:19.3`])).stdout.trim();
    assert.equal(obj.status?.images?.[0]?.digest, digest);
    assert.equal(obj.status?.images?.[0]?.reference, `${registry}/gdc/oracle_db:19.3`);
    assert.ok(obj.status?.sourceRevision);
    assert.equal(obj.status?.progress?.bytesDone, obj.status?.progress?.bytesTotal);
    assert.ok(obj.status?.startedAt && obj.status.completedAt);
    await run("crane", ["export", "--insecure", `${registry}/gdc/oracle_db:19.3`, join(scratch, "export.tar")]);
  });

  it("keeps every RepoTag of a multi-image archive under a project", async () => {
    await create("multi", {
      source: s3Spec("g/multi.tar"),
      destination: { registry, plainHTTP: true, rewrite: { repositoryPrefix: "mirror/" } },
      layerCompression: "gzip",
    });
    const obj = await waitCondition("multi", "True", "Succeeded");
    assert.deepEqual(obj.status?.images?.map((i) => i.reference).sort(), [
      `${registry}/mirror/seed/oracle/db:19.3`,
      `${registry}/mirror/seed/tool:1`,
    ]);
    for (const i of obj.status?.images ?? []) await run("crane", ["validate", "--insecure", "--remote", i.reference]);
  });

  it("gives each failure its own reason: missing key, wrong credentials, corrupt archive stall; an unreachable registry is retried", async () => {
    await create("no-such-key", {
      source: s3Spec("g/nope.tar"),
      destination: { registry, plainHTTP: true, repository: "x/a", tags: ["1"] },
    });
    await create("bad-creds", {
      source: s3Spec("g/oracle_db.tar", "wrong-keys"),
      destination: { registry, plainHTTP: true, repository: "x/b", tags: ["1"] },
    });
    await create("corrupt", {
      source: s3Spec("g/corrupt.tar"),
      destination: { registry, plainHTTP: true, repository: "x/c", tags: ["1"] },
    });
    await create("unreachable", {
      source: s3Spec("g/oracle_db.tar"),
      destination: { registry: "127.0.0.1:1", plainHTTP: true, repository: "x/d", tags: ["1"] },
    });
    const notFound = await waitCondition("no-such-key", "False", "SourceNotFound");
    assert.ok(notFound.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True"));
    const denied = await waitCondition("bad-creds", "False", "AccessDenied");
    assert.ok(!JSON.stringify(denied.status).includes("not-the-secret"));
    await waitCondition("corrupt", "False", "InvalidArchive");
    const retried = await waitCondition("unreachable", "False", "RegistryUnavailable");
    assert.ok(retried.status?.conditions?.some((c) => c.type === "Reconciling" && c.reason === "ProgressingWithRetry"));
  });

  it("does nothing more for a completed import until the spec changes, then re-pushes only what is missing", async () => {
    const before = await get("oracle-db");
    const patched = await admin.request<ImageImport>(
      `/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/oracle-db`,
      {
        method: "PATCH",
        patchType: "merge",
        body: { spec: { destination: { tags: ["19.3", "latest"] } } },
      },
    );
    assert.ok((patched.metadata.generation ?? 0) > (before.metadata.generation ?? 0));
    const after = await waitCondition("oracle-db", "True", "Succeeded");
    assert.equal(after.status?.images?.length, 2);
    const latest = (await run("crane", ["digest", "--insecure", `${registry}/gdc/oracle_db:latest`])).stdout.trim();
    assert.equal(latest, before.status?.images?.[0]?.digest);
    assert.match(after.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /uploaded 0 blobs/);
  });
});

describe("ImageImport: the same archive into two repositories at once", () => {
  it("both succeed and every blob is uploaded once: the second import mounts or skips", async () => {
    const dest = (repository: string): Record<string, unknown> => ({
      registry,
      plainHTTP: true,
      repository,
      tags: ["1"],
    });
    await Promise.all([
      create("twin-a", { source: s3Spec("g/oracle_db.tar"), destination: dest("twins/a"), concurrency: 1 }),
      create("twin-b", { source: s3Spec("g/oracle_db.tar"), destination: dest("twins/b"), concurrency: 1 }),
    ]);
    const [a, b] = await Promise.all([
      waitCondition("twin-a", "True", "Succeeded"),
      waitCondition("twin-b", "True", "Succeeded"),
    ]);
    assert.equal(a.status?.images?.[0]?.digest, b.status?.images?.[0]?.digest);
    // Ready messages read "uploaded N blobs, skipped M, mounted K": the layers went up once between the two.
    const counts = [a, b].map((o) => {
      const m = /uploaded (\d+) blobs, skipped (\d+), mounted (\d+)/.exec(
        o.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      );
      return { uploaded: Number(m?.[1]), reused: Number(m?.[2]) + Number(m?.[3]) };
    });
    assert.ok(
      counts.every((c) => Number.isFinite(c.uploaded)),
      JSON.stringify(counts),
    );
    assert.ok(
      counts.some((c) => c.reused > 0),
      `no blob was mounted or skipped: ${JSON.stringify(counts)}`,
    );
  });
});
