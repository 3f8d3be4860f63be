// Faults under a running ImageImport reconciler (`npm run test:faults`): connections cut mid-upload and mid-S3-read by
// toxiproxy, and a registry answering 503 / 429 with Retry-After for a while. Each ends Ready, every blob in the
// registry verified by skopeo, and the retry is visible in status while it lasts.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import { generateDockerArchive } from "../../bench/generate-archive.ts";
import { putFile } from "../../bench/peers.ts";
import { createImageImportController } from "../../src/controllers/image-import.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { startToxiproxy, type Toxiproxy } from "../env/toxiproxy.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { startCountingProxy } from "./counting-proxy.ts";
import { startControllerManager } from "./controller-harness.ts";
import { namespaceWithS3Keys, unique, waitFor } from "./ocisync-support.ts";

const ns = unique("faults");
const work = mkdtempSync(join(tmpdir(), "airlift-faults-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let manager: Manager;
let toxi: Toxiproxy;

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

async function conditions(name: string): Promise<Cond[]> {
  const o = await admin.request<{ status?: { conditions?: Cond[] } }>(
    `/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/${name}`,
  );
  return o.status?.conditions ?? [];
}

async function create(name: string, endpoint: string, registry: string, repository: string): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ImageImport",
      metadata: { name },
      spec: {
        source: { s3: { endpoint, bucket: "faults", key: "g/app.tar", credentialsSecretRef: { name: "keys" } } },
        destination: { registry, plainHTTP: true, repository, tags: ["v1"] },
      },
    },
  });
}

/** Waits for Ready=True, recording every distinct Ready reason seen on the way. */
async function readyAfter(name: string, seen: Set<string>): Promise<void> {
  await waitFor(
    `${name} Ready`,
    async () => {
      const c = await conditions(name);
      const r = c.find((x) => x.type === "Ready");
      if (r) seen.add(`${r.status}/${r.reason}`);
      for (const x of c) if (x.type === "Reconciling") seen.add(`Reconciling/${x.reason}`);
      return r?.status === "True" ? true : undefined;
    },
    120_000,
  );
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  const kc = new KubeConfig();
  kc.loadFromFile(env.kube.kubeconfigPath);
  admin = new KubeClient(kc);
  await namespaceWithS3Keys(admin, ns, env.minio);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: "faults" }));
  await generateDockerArchive(join(work, "app.tar"), 24 << 20, 3, "faults/app:v1");
  await putFile(s3, "faults", "g/app.tar", join(work, "app.tar"));
  s3.destroy();
  toxi = await startToxiproxy(join(work, "toxiproxy"));
  manager = await startControllerManager(kc, ns, createImageImportController, 2);
});

after(async () => {
  await manager.stop();
  await toxi.stop();
  await admin.close();
});

describe("faults during imports", () => {
  it("connections cut mid-upload and mid-S3-read: the import completes with verified content", async () => {
    const registry = await toxi.proxy("registry", env.registries.anonymous.host);
    const minio = await toxi.proxy("minio", new URL(env.minio.endpoint).host);
    // Every connection is cut after 2 MiB: uploads (8 MiB chunks) and S3 bodies die mid-stream.
    await toxi.addToxic("registry", {
      name: "cut-up",
      type: "limit_data",
      stream: "upstream",
      attributes: { bytes: 2 << 20 },
    });
    await toxi.addToxic("minio", {
      name: "cut-down",
      type: "limit_data",
      stream: "downstream",
      attributes: { bytes: 2 << 20 },
    });
    await create("cut", `http://${minio}`, registry, "faults/cut");
    const seen = new Set<string>();
    await waitFor(
      "a retry shows in status",
      async () => {
        const c = await conditions("cut");
        for (const x of c) seen.add(`${x.type}/${x.status}/${x.reason}: ${x.message.slice(0, 160)}`);
        return c.find((x) => x.type === "Reconciling")?.reason === "ProgressingWithRetry" ? true : undefined;
      },
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; seen: ${[...seen].join(" | ")}`);
    });
    await toxi.removeToxic("registry", "cut-up");
    await toxi.removeToxic("minio", "cut-down");
    await readyAfter("cut", seen);
    // skopeo pulls every blob and checks its digest; the tag names complete, verified content only.
    await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${env.registries.anonymous.host}/faults/cut:v1`,
      `dir:${mkdtempSync(join(work, "pulled-"))}`,
    ]);
  });

  it("a registry answering 500, 503 and 429 with Retry-After for a while: retried no sooner than asked, visible in status, then Ready", async () => {
    // Longer than the client's own retries (which honour Retry-After), so the reconciler's backoff shows in status.
    let failUntil = Date.now() + 25_000;
    let faults = 0;
    const RETRY_AFTER_S = 2;
    /** Per idempotent request (method and URL, unique per blob): when it was last answered with Retry-After. */
    const askedToWait = new Map<string, number>();
    /** How long after such an answer the same request came again. */
    const waited: number[] = [];
    const proxy = await startCountingProxy(
      env.registries.anonymous.url,
      () => undefined,
      (req, res) => {
        if (!req.url?.startsWith("/v2/faults")) return false;
        const key = `${req.method} ${req.url}`;
        const idempotent = req.method === "GET" || req.method === "HEAD";
        const asked = askedToWait.get(key);
        if (idempotent && asked !== undefined) waited.push(Date.now() - asked);
        askedToWait.delete(key);
        if (Date.now() >= failUntil) return false;
        faults++;
        const status = [500, 503, 429][faults % 3]!;
        res.writeHead(status, {
          "content-type": "application/json",
          ...(status === 500 ? {} : { "retry-after": String(RETRY_AFTER_S) }),
        });
        res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "try later" }] }));
        req.resume();
        if (idempotent && status !== 500) askedToWait.set(key, Date.now());
        return true;
      },
    );
    try {
      await create("unavailable", env.minio.endpoint, proxy.host, "faults/unavailable");
      const seen = new Set<string>();
      await readyAfter("unavailable", seen);
      assert.ok(faults >= 4, `the fault proxy answered ${faults} times`);
      assert.ok(waited.length >= 2, `retries after a Retry-After answer: ${waited.length}`);
      console.log(
        `# ${faults} fault answers; ${waited.length} retries after Retry-After: ${RETRY_AFTER_S}, waited ${Math.min(...waited)}–${Math.max(...waited)} ms`,
      );
      assert.ok(
        Math.min(...waited) >= RETRY_AFTER_S * 1000 - 50,
        `a retry came ${Math.min(...waited)} ms after Retry-After: ${RETRY_AFTER_S}`,
      );
      assert.ok(seen.has("False/RegistryUnavailable"), `reasons seen: ${[...seen].join(", ")}`);
      assert.ok(seen.has("Reconciling/ProgressingWithRetry"), `reasons seen: ${[...seen].join(", ")}`);
      failUntil = 0;
      await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        `docker://${env.registries.anonymous.host}/faults/unavailable:v1`,
        `dir:${mkdtempSync(join(work, "pulled-"))}`,
      ]);
    } finally {
      await proxy.close();
    }
  });
});
