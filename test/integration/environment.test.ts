// Smoke tests: every part of the test environment is the real thing and answers as it should.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, Watch } from "@kubernetes/client-node";
import { clientNodeConfig } from "../env/client-node.ts";
import { run, s3Client, serviceAccountKubeconfig, testEnv, type RegistryConnection } from "../env/index.ts";

const scratch = mkdtempSync(join(tmpdir(), "airlift-smoke-"));

/** A one-layer image tarball made with crane from a file written by the test. */
async function craneImage(name: string, content: string): Promise<string> {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  writeFileSync(join(dir, "hello.txt"), content);
  const layer = join(dir, "layer.tar");
  await run("tar", ["-C", dir, "-cf", layer, "hello.txt"]);
  return layer;
}

function craneAuthEnv(reg: RegistryConnection): NodeJS.ProcessEnv {
  // crane and oras read credentials from a docker config; each test gets its own.
  const dir = mkdtempSync(join(scratch, "docker-"));
  const auth = Buffer.from(`${reg.username}:${reg.password}`).toString("base64");
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { [reg.host]: { auth } } }));
  return { DOCKER_CONFIG: dir, SSL_CERT_FILE: reg.caFile ?? "" };
}

describe("test environment", () => {
  it("kube-apiserver serves a CRD whose objects are seen through a watch", async () => {
    const env = await testEnv();
    const kc = clientNodeConfig(env.kube.kubeconfigPath);
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const group = "smoke.airlift.dev";
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
                },
              },
            },
          ],
        },
      },
    });
    const custom = kc.makeApiClient(CustomObjectsApi);
    // The CRD becomes servable a moment after creation.
    for (let i = 0; ; i++) {
      try {
        await custom.listNamespacedCustomObject({ group, version: "v1", namespace: "default", plural: "widgets" });
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const watcher = new AbortController();
    const seen = new Promise<string>((resolveSeen, reject) => {
      void new Watch(kc)
        .watch(
          `/apis/${group}/v1/namespaces/default/widgets`,
          {},
          (type, obj: { metadata?: { name?: string } }) => {
            if (type === "ADDED") resolveSeen(obj.metadata?.name ?? "");
          },
          (err) => {
            if (err && !watcher.signal.aborted) reject(err as Error);
          },
        )
        .then((req) => watcher.signal.addEventListener("abort", () => req.abort()));
    });
    await custom.createNamespacedCustomObject({
      group,
      version: "v1",
      namespace: "default",
      plural: "widgets",
      body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } },
    });
    try {
      assert.equal(await seen, "w1");
    } finally {
      watcher.abort();
    }
  });

  it("a ServiceAccount kubeconfig authenticates and RBAC bounds it", async () => {
    const env = await testEnv();
    const admin = clientNodeConfig(env.kube.kubeconfigPath).makeApiClient(CoreV1Api);
    await admin.createNamespace({ body: { metadata: { name: "smoke-rbac" } } });
    const path = await serviceAccountKubeconfig(env.kube, "smoke-rbac", "reader", scratch);
    const asReader = clientNodeConfig(path).makeApiClient(CoreV1Api);
    await assert.rejects(
      asReader.listNamespacedSecret({ namespace: "smoke-rbac" }),
      (err: { code?: number }) => err.code === 403,
    );
  });

  it("crane pushes an image to the anonymous registry and oras reads it back", async () => {
    const { registries } = await testEnv();
    const reg = registries.anonymous;
    const layer = await craneImage("anon", "hello from crane\n");
    const ref = `${reg.host}/smoke/hello:v1`;
    await run("crane", ["append", "--insecure", "-f", layer, "-t", ref]);
    const manifest = JSON.parse((await run("oras", ["manifest", "fetch", "--plain-http", ref])).stdout) as {
      layers: { digest: string }[];
    };
    assert.equal(manifest.layers.length, 1);
    const digest = (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  });

  for (const variant of ["basic-tls", "token"] as const) {
    it(`the ${variant} registry refuses an anonymous push and accepts an authenticated one`, async () => {
      const { registries } = await testEnv();
      const reg = registries[variant];
      const layer = await craneImage(variant, `hello ${variant}\n`);
      const ref = `${reg.host}/smoke/${variant}:v1`;
      const tlsFlags = variant === "token" ? ["--insecure"] : [];
      const anonymousEnv = { DOCKER_CONFIG: mkdtempSync(join(scratch, "empty-")), SSL_CERT_FILE: reg.caFile ?? "" };
      const refused = await run("crane", ["append", ...tlsFlags, "-f", layer, "-t", ref], {
        env: anonymousEnv,
        allowFailure: true,
      });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /UNAUTHORIZED|401|authentication required|DENIED/i);
      await run("crane", ["append", ...tlsFlags, "-f", layer, "-t", ref], { env: craneAuthEnv(reg) });
      const fetched = await run("crane", ["manifest", ...tlsFlags, ref], { env: craneAuthEnv(reg) });
      assert.match(fetched.stdout, /"layers"/);
    });
  }

  it("skopeo copies between registries (the real client is installed)", async () => {
    const { registries } = await testEnv();
    const reg = registries.anonymous;
    const layer = await craneImage("skopeo", "skopeo\n");
    await run("crane", ["append", "--insecure", "-f", layer, "-t", `${reg.host}/smoke/skopeo:v1`]);
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${reg.host}/smoke/skopeo:v1`,
      `docker://${reg.host}/smoke/skopeo:v2`,
    ]);
    const inspected = JSON.parse(
      (await run("skopeo", ["inspect", "--tls-verify=false", `docker://${reg.host}/smoke/skopeo:v2`])).stdout,
    ) as { Layers: string[] };
    assert.equal(inspected.Layers.length, 1);
  });

  it("MinIO stores and returns an object through @aws-sdk/client-s3", async () => {
    const { minio } = await testEnv();
    const s3 = s3Client(minio);
    await s3.send(new CreateBucketCommand({ Bucket: "smoke" }));
    await s3.send(new PutObjectCommand({ Bucket: "smoke", Key: "g/hello.txt", Body: "hello s3" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "smoke", Key: "g/hello.txt" }));
    assert.equal(await got.Body?.transformToString(), "hello s3");
    s3.destroy();
  });
});
