// ArtifactPull against the real registry (through the Harbor stand-in and directly over TLS), MinIO and the API
// server: the same digest is not pulled twice, the pattern policy, a digest pin, a multi-layer image extracted as
// `crane export` flattens it, path traversal and oversize refused while the prefix keeps the previous good content,
// an unknown CA (UntrustedCertificate, then fixed by caBundleSecretRef) and the visible TLS opt-out.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { ArtifactPull } from "../../src/api/artifact-pull.ts";
import { createArtifactPullController } from "../../src/controllers/artifact-pull.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import { startHarborStandin, type HarborStandin } from "../harbor-standin/index.ts";
import { run, s3Client, testEnv, type EnvironmentConnection, type RegistryConnection } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startControllerManager } from "./controller-harness.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";

const ns = unique("pullc");
const bucket = unique("pullc");
const scratch = mkdtempSync(join(tmpdir(), "airlift-apc-"));
const api = (name = ""): string => `/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls${name ? `/${name}` : ""}`;
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let s3: S3Client;
let harbor: HarborStandin;

/** Writes `files` (relative paths) into a fresh folder and returns a tar of them, made by GNU tar with `extra` flags. */
async function tarOf(files: Record<string, string>, extra: string[] = [], cwdSub = ""): Promise<string> {
  const dir = mkdtempSync(join(scratch, "layer-"));
  const cwd = join(dir, cwdSub);
  mkdirSync(cwd, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(cwd, name, ".."), { recursive: true });
    writeFileSync(join(cwd, name), text);
  }
  const out = join(dir, "layer.tar");
  await run("tar", ["-C", cwd, ...extra, "-cf", out, ...Object.keys(files)]);
  return out;
}

async function push(ref: string, layers: string[], tls?: RegistryConnection): Promise<string> {
  const flags = layers.flatMap((l) => ["-f", l]);
  if (!tls) return (await run("crane", ["append", "--insecure", ...flags, "-t", ref])).stdout.trim();
  const dir = mkdtempSync(join(scratch, "docker-"));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      auths: { [tls.host]: { auth: Buffer.from(`${tls.username}:${tls.password}`).toString("base64") } },
    }),
  );
  return (
    await run("crane", ["append", ...flags, "-t", ref], {
      env: { DOCKER_CONFIG: dir, SSL_CERT_FILE: tls.caFile ?? "" },
    })
  ).stdout.trim();
}

async function create(
  name: string,
  source: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await admin.request(api(), {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ArtifactPull",
      metadata: { name, namespace: ns },
      spec: {
        source: { registry: harbor.host, plainHTTP: true, project: "apps", ...source },
        destination: {
          s3: { endpoint: env.minio.endpoint, bucket, prefix: `${name}/`, credentialsSecretRef: { name: "keys" } },
        },
        extract: true,
        interval: "10s",
        ...extra,
      },
    },
  });
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await admin.request(api(name), { method: "PATCH", patchType: "merge", body: { spec } });
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
        const o = await admin.request<ArtifactPull>(api(name));
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

async function events(name: string): Promise<{ type: string; reason: string; note: string }[]> {
  const list = await admin.request<{
    items: { type: string; reason: string; note: string; regarding?: { name?: string } }[];
  }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`);
  return list.items.filter((e) => e.regarding?.name === name);
}

async function reconcileCount(): Promise<number> {
  const m = await manager.metrics.reconcile.total.get();
  return m.values.filter((v) => v.labels.controller === "artifactpull").reduce((n, v) => n + v.value, 0);
}

async function secret(name: string, type: string, stringData: Record<string, string>): Promise<void> {
  await admin.request(`/api/v1/namespaces/${ns}/secrets`, {
    method: "POST",
    body: { metadata: { name }, type, stringData },
  });
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfigPath);
  admin = new KubeClient(kubeConfig);
  await ensureNamespace(admin, ns);
  await secret("keys", "Opaque", {
    "access-key-id": env.minio.accessKeyId,
    "secret-access-key": env.minio.secretAccessKey,
  });
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  harbor = await startHarborStandin({ registry: env.registries.anonymous });
  manager = await startControllerManager(kubeConfig, ns, createArtifactPullController, 2);
});

after(async () => {
  await manager.stop();
  await harbor.close();
  await admin.close();
  s3.destroy();
});

describe("ArtifactPull content and faults", () => {
  // First in the file, so the controller's reconcile count is this object's alone.
  it("does not pull the same digest again when it reconciles once more", async () => {
    await push(`${harbor.host}/apps/same:v1`, [await tarOf({ "a.txt": "a\n" })]);
    await create("same", { repository: "same", tag: "v1" });
    const first = await waitReady("same", "True", "Succeeded");
    // Removed behind the operator's back: a second pull would upload it again.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "same/extracted/a.txt" }));
    const before = await reconcileCount();
    await admin.request(api("same"), {
      method: "PATCH",
      patchType: "merge",
      body: { metadata: { annotations: { "test.airlift.dev/poke": "1" } } },
    });
    await waitFor("another reconcile", async () => ((await reconcileCount()) > before ? true : undefined), 30_000);
    const again = await waitReady("same", "True", "Succeeded");
    assert.equal(again.status?.lastPulled, first.status?.lastPulled);
    assert.equal(again.status?.resolvedDigest, first.status?.resolvedDigest);
    assert.deepEqual(
      (await listPrefix(s3, bucket, "same/extracted/")).map((k) => k.key),
      [],
    );
  });

  it("pattern narrows first, then the newest pushed among the matches wins", async () => {
    for (const [i, tag] of ["release-1", "release-2", "2.0.0-rc1"].entries()) {
      await push(`${harbor.host}/apps/pat:${tag}`, [await tarOf({ "tag.txt": `${tag}\n` })]);
      harbor.recordPush("apps/pat", tag, new Date(Date.UTC(2026, 1, 1 + i)));
    }
    await create("pat", { repository: "pat", tagPolicy: { pattern: { regex: "^release-" } } });
    const o = await waitReady("pat", "True", "Succeeded");
    assert.equal(o.status?.resolvedTag, "release-2");
    assert.equal(await object("pat/extracted/tag.txt"), "release-2\n");
  });

  it("a digest pin is pulled as given, with the digest alone as revision", async () => {
    const ref = `${harbor.host}/apps/pat:release-1`;
    const digest = (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
    await create("pin", { repository: "pat", digest });
    const o = await waitReady("pin", "True", "Succeeded");
    assert.equal(o.status?.resolvedDigest, digest);
    assert.equal(o.status?.resolvedTag, undefined);
    assert.equal(o.status?.artifact?.revision, digest);
    assert.equal(await object("pin/extracted/tag.txt"), "release-1\n");
  });

  it("flattens a multi-layer image with whiteouts as crane export does", async () => {
    const l1 = await tarOf({ "etc/app.conf": "v1\n", "etc/old.txt": "old\n", "bin/tool": "#!/bin/sh\n" });
    const l2 = await tarOf({ "etc/app.conf": "v2\n", "etc/.wh.old.txt": "", "share/doc.md": "# doc\n" });
    await push(`${harbor.host}/apps/layers:v1`, [l1, l2]);
    await create("layers", { repository: "layers", tag: "v1" });
    const o = await waitReady("layers", "True", "Succeeded");
    const out = mkdtempSync(join(scratch, "export-"));
    await run("crane", ["export", "--insecure", `${harbor.host}/apps/layers:v1`, join(out, "fs.tar")]);
    const listed = (await run("tar", ["-tf", join(out, "fs.tar")])).stdout
      .split("\n")
      .filter((n) => n && !n.endsWith("/"))
      .sort();
    assert.deepEqual(o.status?.files?.map((f) => f.path).sort(), listed);
    const keys = (await listPrefix(s3, bucket, "layers/extracted/"))
      .map((k) => k.key.slice("layers/extracted/".length))
      .sort();
    assert.deepEqual(keys, listed);
    for (const name of listed) {
      assert.equal(
        await object(`layers/extracted/${name}`),
        (await run("tar", ["-xOf", join(out, "fs.tar"), name])).stdout,
        name,
      );
    }
  });

  it("refuses path traversal and oversize layers; the prefix keeps the previous good pull", async () => {
    const good = await push(`${harbor.host}/apps/hostile:good`, [await tarOf({ "ok.txt": "fine\n" })]);
    await push(`${harbor.host}/apps/hostile:traversal`, [await tarOf({ "../outside.txt": "x\n" }, ["-P"], "sub")]);
    await push(`${harbor.host}/apps/hostile:big`, [await tarOf({ "big.bin": "z".repeat(64 * 1024) })]);
    await create(
      "hostile",
      { repository: "hostile", tag: "good" },
      { extractLimits: { maxTotalBytes: 16 * 1024, maxFiles: 10 } },
    );
    const ok = await waitReady("hostile", "True", "Succeeded");
    assert.match(ok.status?.artifact?.revision ?? "", new RegExp(`^good@${good.replace(/^.*@/, "")}$`));
    const keysBefore = (await listPrefix(s3, bucket, "hostile/")).map((k) => k.key).sort();
    for (const tag of ["traversal", "big"]) {
      await patchSpec("hostile", { source: { tag } });
      const o = await waitReady("hostile", "False", "ExtractionRefused");
      assert.match(
        o.status?.conditions?.find((c) => c.type === "Stalled")?.message ?? "",
        /^failed to pull apps\/hostile: /,
      );
      assert.deepEqual((await listPrefix(s3, bucket, "hostile/")).map((k) => k.key).sort(), keysBefore, tag);
      assert.equal(await object("hostile/extracted/ok.txt"), "fine\n");
      assert.equal(JSON.parse(await object("hostile/index.json")).manifests[0].digest, ok.status?.resolvedDigest);
    }
    const refused = (await events("hostile")).filter((e) => e.type === "Warning" && e.reason === "ExtractionRefused");
    assert.ok(refused.length >= 2);
  });

  it("an unknown CA stalls as UntrustedCertificate with a hint; caBundleSecretRef fixes it; the opt-out shows", async () => {
    const tls = env.registries["basic-tls"];
    await push(`${tls.host}/apps/tls:v1`, [await tarOf({ "t.txt": "tls\n" })], tls);
    const auth = Buffer.from(`${tls.username}:${tls.password}`).toString("base64");
    await secret("tls-creds", "kubernetes.io/dockerconfigjson", {
      ".dockerconfigjson": JSON.stringify({ auths: { [tls.host]: { auth } } }),
    });
    await secret("tls-ca", "Opaque", { "ca.crt": tls.caPem ?? "" });
    await create("tls", {
      registry: tls.host,
      plainHTTP: false,
      repository: "tls",
      tag: "v1",
      credentialsSecretRef: { name: "tls-creds" },
    });
    const refused = await waitReady("tls", "False", "UntrustedCertificate");
    assert.match(refused.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /caBundleSecretRef/);
    assert.ok(refused.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True"));
    await patchSpec("tls", { source: { caBundleSecretRef: { name: "tls-ca" } } });
    const fixed = await waitReady("tls", "True", "Succeeded");
    assert.equal(
      fixed.status?.conditions?.some((c) => c.type === "Stalled"),
      false,
    );
    assert.equal(await object("tls/extracted/t.txt"), "tls\n");

    await create("tls-skip", {
      registry: tls.host,
      plainHTTP: false,
      repository: "tls",
      tag: "v1",
      credentialsSecretRef: { name: "tls-creds" },
      insecureSkipTLSVerify: true,
    });
    const skipped = await waitReady("tls-skip", "True", "TLSVerificationDisabled");
    assert.match(
      skipped.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      /TLS verification disabled/,
    );
    await waitFor(
      "a Warning event",
      async () =>
        (await events("tls-skip")).some((e) => e.type === "Warning" && e.reason === "TLSVerificationDisabled")
          ? true
          : undefined,
      30_000,
    );
  });
  it("each fault has its own reason: RepositoryNotFound, Unauthorized, AccessDenied stall; an unreachable registry retries", async () => {
    await create("missing", { repository: "does-not-exist", tagPolicy: { newestPushed: {} } });
    await waitReady("missing", "False", "RepositoryNotFound");
    const tls = env.registries["basic-tls"];
    await create("noauth", {
      registry: tls.host,
      plainHTTP: false,
      repository: "tls",
      tag: "v1",
      caBundleSecretRef: { name: "tls-ca" },
    });
    await waitReady("noauth", "False", "Unauthorized");
    await secret("bad-keys", "Opaque", {
      "access-key-id": env.minio.accessKeyId,
      "secret-access-key": "wrong-secret-key",
    });
    await push(`${harbor.host}/apps/denied:v1`, [await tarOf({ "d.txt": "d\n" })]);
    await create("denied", { repository: "denied", tag: "v1" });
    await patchSpec("denied", { destination: { s3: { credentialsSecretRef: { name: "bad-keys" } } } });
    await waitReady("denied", "False", "AccessDenied");
    await create("down", { registry: "127.0.0.1:9", repository: "x", tag: "v1" });
    const down = await waitReady("down", "False", "RegistryUnavailable");
    assert.equal(
      down.status?.conditions?.some((c) => c.type === "Stalled"),
      false,
    );
    assert.equal(down.status?.conditions?.find((c) => c.type === "Reconciling")?.reason, "ProgressingWithRetry");
  });
});
