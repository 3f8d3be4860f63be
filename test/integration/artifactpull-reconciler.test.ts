// The ArtifactPull reconciler end to end against the Harbor stand-in (in front of the real registry), MinIO and the
// real API server: newest push_time skipping a .sig pushed last, semver, a nested repository, an ORAS artifact
// extracted like `oras pull`, a hostile artifact refused with nothing published, a newer tag picked up, and the
// image-config fallback on a plain registry.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { ArtifactPull } from "../../src/api/artifact-pull.ts";
import { createArtifactPullController } from "../../src/controllers/artifact-pull.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import { startHarborStandin, type HarborStandin } from "../harbor-standin/index.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startControllerManager } from "./controller-harness.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";

const ns = unique("pulls");
const bucket = unique("artifacts");
const scratch = mkdtempSync(join(tmpdir(), "airlift-ap-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let s3: S3Client;
let harbor: HarborStandin;

async function craneAppend(ref: string, files: Record<string, string>): Promise<void> {
  const dir = mkdtempSync(join(scratch, "img-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  await run("tar", ["-C", dir, "-cf", join(dir, "layer.tar"), ...Object.keys(files)]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "layer.tar"), "-t", ref]);
}

async function create(
  name: string,
  source: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  prefix = `${name}/`,
): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ArtifactPull",
      metadata: { name, namespace: ns },
      spec: {
        source: { registry: harbor.host, plainHTTP: true, ...source },
        destination: { s3: { endpoint: env.minio.endpoint, bucket, prefix, credentialsSecretRef: { name: "keys" } } },
        extract: true,
        interval: "10s",
        ...extra,
      },
    },
  });
}

async function waitReady(
  name: string,
  status: string,
  reason?: string,
  check?: (o: ArtifactPull) => boolean,
): Promise<ArtifactPull> {
  let last = "";
  try {
    return await waitFor(
      `ArtifactPull ${name}`,
      async () => {
        const o = await admin.request<ArtifactPull>(
          `/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls/${name}`,
        );
        const r = o.status?.conditions?.find((c) => c.type === "Ready");
        last = `${r?.status}/${r?.reason}: ${r?.message}`;
        return o.status?.observedGeneration === o.metadata.generation &&
          r?.status === status &&
          (!reason || r.reason === reason) &&
          (!check || check(o))
          ? o
          : undefined;
      },
      90_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last Ready: ${last}`);
  }
}

async function object(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? "";
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
      metadata: { name: "keys" },
      stringData: { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey },
    },
  });
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  harbor = await startHarborStandin({ registry: env.registries.anonymous });
  const h = harbor.host;
  for (const [i, tag] of ["1.0.0", "1.2.0", "1.1.0"].entries()) {
    await craneAppend(`${h}/apps/demo:${tag}`, { "version.txt": `${tag}\n` });
    harbor.recordPush("apps/demo", tag, new Date(Date.UTC(2026, 0, 1 + i)));
  }
  await craneAppend(`${h}/apps/demo:sha256-abc.sig`, { "sig.txt": "signature\n" });
  harbor.recordPush("apps/demo", "sha256-abc.sig", new Date(Date.UTC(2026, 0, 9)));
  await craneAppend(`${h}/apps/nested/tool:v1`, { "tool.txt": "nested\n" });

  manager = await startControllerManager(kubeConfig, ns, createArtifactPullController, 3);
});

after(async () => {
  await manager.stop();
  await harbor.close();
  await admin.close();
  s3.destroy();
});

describe("ArtifactPull", () => {
  it("newestPushed picks the newest real tag over a .sig pushed last, as an OCI layout with the extracted tree", async () => {
    await create("newest", { project: "apps", repository: "demo", tagPolicy: { newestPushed: {} } });
    const o = await waitReady("newest", "True", "Succeeded");
    assert.equal(o.status?.resolvedTag, "1.1.0");
    assert.equal(o.status?.tagSource, "HarborAPI");
    assert.match(o.status?.artifact?.revision ?? "", /^1\.1\.0@sha256:[0-9a-f]{64}$/);
    assert.equal(await object("newest/extracted/version.txt"), "1.1.0\n");
    const index = JSON.parse(await object("newest/index.json"));
    assert.equal(index.manifests[0].digest, o.status?.resolvedDigest);
    assert.deepEqual(o.status?.files, [{ path: "version.txt", size: 6 }]);
  });

  it("semver picks the highest matching tag; a nested repository resolves through Harbor's double encoding", async () => {
    await create("semver", { project: "apps", repository: "demo", tagPolicy: { semver: { range: "^1.0.0" } } });
    await create("nested", { project: "apps", repository: "nested/tool", tagPolicy: { newestPushed: {} } });
    assert.equal((await waitReady("semver", "True", "Succeeded")).status?.resolvedTag, "1.2.0");
    assert.equal(await object("nested/extracted/tool.txt"), "nested\n");
  });

  it("extracts an ORAS artifact holding a .tar.gz and a YAML file as oras pull does", async () => {
    const dir = mkdtempSync(join(scratch, "oras-"));
    writeFileSync(join(dir, "app.yaml"), "kind: Config\n");
    mkdirSync(join(dir, "bundle"));
    writeFileSync(join(dir, "bundle", "x.txt"), "x\n");
    await run("tar", ["-C", dir, "-czf", join(dir, "bundle.tar.gz"), "bundle"]);
    await run("oras", ["push", "--plain-http", `${harbor.host}/apps/oras:v1`, "bundle.tar.gz", "app.yaml"], {
      cwd: dir,
    });
    await create("oras", { project: "apps", repository: "oras", tag: "v1" });
    const o = await waitReady("oras", "True", "Succeeded");
    const pulled = mkdtempSync(join(scratch, "oras-pull-"));
    await run("oras", ["pull", "--plain-http", `${harbor.host}/apps/oras:v1`], { cwd: pulled });
    const expected = readdirSync(pulled).sort();
    assert.deepEqual(o.status?.files?.map((f) => f.path).sort(), expected);
    assert.equal(await object("oras/extracted/app.yaml"), readFileSync(join(pulled, "app.yaml"), "utf8"));
  });

  it("refuses a symlink escape, stalls with ExtractionRefused and publishes nothing", async () => {
    const dir = mkdtempSync(join(scratch, "evil-"));
    symlinkSync("/etc", join(dir, "escape"));
    await run("tar", ["-C", dir, "-cf", join(dir, "evil.tar"), "escape"]);
    await run("crane", ["append", "--insecure", "-f", join(dir, "evil.tar"), "-t", `${harbor.host}/apps/evil:v1`]);
    await create("evil", { project: "apps", repository: "evil", tag: "v1" });
    await waitReady("evil", "False", "ExtractionRefused");
    assert.deepEqual(await listPrefix(s3, bucket, "evil/"), []);
  });

  it("picks up a newer tag at the next interval and does not re-pull the same digest", async () => {
    const first = await waitReady("newest", "True", "Succeeded");
    await craneAppend(`${harbor.host}/apps/demo:1.3.0`, { "version.txt": "1.3.0\n" });
    harbor.recordPush("apps/demo", "1.3.0", new Date(Date.UTC(2026, 0, 10)));
    const next = await waitReady("newest", "True", "Succeeded", (o) => o.status?.resolvedTag === "1.3.0");
    assert.notEqual(next.status?.resolvedDigest, first.status?.resolvedDigest);
    assert.equal(await object("newest/extracted/version.txt"), "1.3.0\n");
  });

  it("falls back to image configs on a registry without Harbor's API", async () => {
    const plain = env.registries.anonymous.host;
    await craneAppend(`${plain}/apps/plain:a`, { "f.txt": "a\n" });
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ArtifactPull",
        metadata: { name: "plain", namespace: ns },
        spec: {
          source: {
            registry: plain,
            plainHTTP: true,
            project: "apps",
            repository: "plain",
            tagPolicy: { newestPushed: {} },
          },
          destination: {
            s3: { endpoint: env.minio.endpoint, bucket, prefix: "plain/", credentialsSecretRef: { name: "keys" } },
          },
        },
      },
    });
    const o = await waitReady("plain", "True", "Succeeded");
    assert.equal(o.status?.tagSource, "ImageConfig");
    assert.match(
      o.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      /no Harbor API: newest by image config created among at most 50 tags/,
    );
    assert.equal(o.status?.resolvedTag, "a");
  });
});
