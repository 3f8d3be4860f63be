// The operator process run from the image `npm run image` builds (buildah run on the host network, as the image's
// user, with its own entrypoint): it reaches the test API server with a kubeconfig copied into the container and
// brings an ImageImport (MinIO to the registry) and an OciSync (the registry to the cluster) to Ready, then imports
// its own docker-archive from the bucket with an ImageImport (the air-gapped install done by the operator).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { freePort, run, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import {
  buildah,
  container,
  DOCKER_ARCHIVE,
  ensureImage,
  IMAGE_BUILD_TIMEOUT_MS,
  imageConfig,
  storeArgs,
} from "./image-support.ts";
import {
  adminOnTestEnv,
  createOciSync,
  namespaceWithS3Keys,
  pushWithCrane,
  unique,
  waitFor,
} from "./ocisync-support.ts";

const ns = unique("imageop");
const bucket = unique("imageop");
let env: EnvironmentConnection;
let admin: KubeClient;
let ctr: Awaited<ReturnType<typeof container>> | undefined;
let operator: ChildProcess | undefined;
let startSeconds = NaN;

async function readyOf(plural: string, name: string): Promise<string | undefined> {
  const o = await admin.request<{ status?: { conditions?: { type: string; status: string; reason: string }[] } }>(
    `/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`,
  );
  const r = o.status?.conditions?.find((c) => c.type === "Ready");
  return r ? `${r.status}/${r.reason}` : undefined;
}

before(
  async () => {
    [{ env, admin }] = await Promise.all([adminOnTestEnv(), ensureImage()]);
    await namespaceWithS3Keys(admin, ns, env.minio);
    const registry = env.registries.anonymous.host;
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-image\n  namespace: ${ns}\ndata:\n  a: b\n`;
    await pushWithCrane(`${registry}/${ns}/config:v1`, { "cm.yaml": cm });
    const tarball = join(mkdtempSync(join(tmpdir(), "airlift-imageop-")), "image.tar");
    await run("crane", ["pull", "--insecure", "--format=tarball", `${registry}/${ns}/config:v1`, tarball]);
    const s3 = s3Client(env.minio);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "image.tar", Body: readFileSync(tarball) }));
    // The image's own docker-archive, as the air-gapped install carries it (docs/operators-guide.md).
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "airlift.tar",
        Body: createReadStream(DOCKER_ARCHIVE),
        ContentLength: statSync(DOCKER_ARCHIVE).size,
      }),
    );
    s3.destroy();

    ctr = await container();
    const config = await imageConfig();
    await buildah(["copy", "--chown", config.user, ctr.name, env.kube.kubeconfigPath, "/tmp/kubeconfig"]);
    const port = await freePort();
    const started = performance.now();
    operator = spawn(
      "buildah",
      [
        ...storeArgs(),
        "run",
        "--network",
        "host",
        "--",
        ctr.name,
        ...config.entrypoint,
        "operator",
        "--kubeconfig",
        "/tmp/kubeconfig",
        "--namespace",
        ns,
        "--watch-namespace",
        ns,
        "--leader-elect",
        "--metrics-addr",
        `127.0.0.1:${port}`,
        "--health-addr",
        "0",
        "--allow-loopback-endpoints",
      ],
      { env: { ...process.env, BUILDAH_ISOLATION: "chroot" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    teeToSuiteLog("image-operator", operator.stdout, operator.stderr);
    await waitFor(
      "the operator's /metrics from the image",
      async () =>
        (
          await fetch(`http://127.0.0.1:${port}/metrics`).then(
            (r) => r.text(),
            () => "",
          )
        ).includes("workqueue_depth")
          ? true
          : undefined,
      120_000,
    );
    startSeconds = (performance.now() - started) / 1000;
    process.stderr.write(`# operator from the image serving /metrics after ${startSeconds.toFixed(1)} s\n`);

    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name: "import" },
        spec: {
          source: {
            s3: { endpoint: env.minio.endpoint, bucket, key: "image.tar", credentialsSecretRef: { name: "keys" } },
          },
          destination: { registry, plainHTTP: true, repository: `${ns}/imported`, tags: ["v1"] },
        },
      },
    });
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name: "self" },
        spec: {
          source: {
            s3: { endpoint: env.minio.endpoint, bucket, key: "airlift.tar", credentialsSecretRef: { name: "keys" } },
          },
          destination: { registry, plainHTTP: true, repository: `${ns}/airlift`, tags: ["dev"] },
        },
      },
    });
    await createOciSync(admin, ns, "sync", { oci: { image: `${registry}/${ns}/config:v1`, plainHTTP: true } });
  },
  { timeout: IMAGE_BUILD_TIMEOUT_MS },
);

after(async () => {
  if (operator?.pid && operator.exitCode === null) {
    const exited = new Promise((r) => operator?.once("exit", r));
    process.kill(-operator.pid, "SIGTERM");
    await exited;
  }
  await ctr?.remove();
  await admin?.close();
});

describe("the operator from the image", () => {
  it("brings an ImageImport and an OciSync to Ready", async () => {
    for (const [plural, name] of [
      ["imageimports", "import"],
      ["ocisyncs", "sync"],
    ] as const) {
      let seen: string | undefined;
      await waitFor(
        `${plural}/${name} Ready`,
        async () => ((seen = await readyOf(plural, name))?.startsWith("True/") ? true : undefined),
        180_000,
      ).catch((err: unknown) => assert.fail(`${(err as Error).message}; last Ready: ${seen}`));
    }
    const cm = await admin.request<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/from-image`);
    assert.deepEqual(cm.data, { a: "b" });
  });

  it("imports its own image from the bucket with an ImageImport: the registry holds the built image", async () => {
    let seen: string | undefined;
    const started = performance.now();
    await waitFor(
      "imageimports/self Ready",
      async () => ((seen = await readyOf("imageimports", "self"))?.startsWith("True/") ? true : undefined),
      300_000,
    ).catch((err: unknown) => assert.fail(`${(err as Error).message}; last Ready: ${seen}`));
    process.stderr.write(
      `# ImageImport of the image's own docker-archive Ready after ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const status = await admin.request<{ status?: { images?: { digest?: string }[] } }>(
      `/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/self`,
    );
    const ref = `${env.registries.anonymous.host}/${ns}/airlift:dev`;
    const digest = (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
    assert.equal(status.status?.images?.[0]?.digest, digest);
    const manifest = JSON.parse((await run("crane", ["manifest", "--insecure", ref])).stdout) as {
      config: { digest: string };
    };
    assert.equal(manifest.config.digest, `sha256:${(await imageConfig()).id}`);
  });
});
