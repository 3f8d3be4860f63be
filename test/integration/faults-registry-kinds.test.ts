// A registry answering 503 / 429 with Retry-After for a while, under an ArtifactPull and an OciSync (the import's
// side is in faults-import.test.ts): each shows the outage in status with its reason while retrying, then becomes
// Ready with the right content once the registry recovers.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { createArtifactPullController } from "../../src/controllers/artifact-pull.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { startControllerManager } from "./controller-harness.ts";
import { startCountingProxy, type CountingProxy } from "./counting-proxy.ts";
import {
  createOciSync,
  getOciSync,
  namespaceWithS3Keys,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("regfault");
const bucket = unique("regfault");
const work = mkdtempSync(join(tmpdir(), "airlift-regfault-"));
const OUTAGE_MS = 20_000;
let env: EnvironmentConnection;
let op: TestOperator;
let pulls: Manager;
let s3: S3Client;
let proxy: CountingProxy;
let failUntil = 0;
let faults = 0;

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** Polls an object's conditions until Ready=True, recording every Ready and Reconciling reason seen on the way. */
async function readyAfterOutage(path: string, seen: Set<string>): Promise<void> {
  await waitFor(
    `${path} Ready`,
    async () => {
      const o = await op.admin.request<{
        metadata: { generation?: number };
        status?: { observedGeneration?: number; conditions?: Cond[] };
      }>(path);
      const c = o.status?.conditions ?? [];
      const r = c.find((x) => x.type === "Ready");
      if (r) seen.add(`${r.status}/${r.reason}`);
      for (const x of c) if (x.type === "Reconciling" && x.status === "True") seen.add(`Reconciling/${x.reason}`);
      return r?.status === "True" && Date.now() > failUntil && o.status?.observedGeneration === o.metadata.generation
        ? true
        : undefined;
    },
    120_000,
  );
}

before(async () => {
  env = await testEnv();
  op = await startOperator(ns, ns);
  await namespaceWithS3Keys(op.admin, ns, env.minio);
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const reg = env.registries.anonymous.host;
  const dir = mkdtempSync(join(work, "img-"));
  writeFileSync(join(dir, "notes.txt"), "pulled through an outage\n");
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "notes.txt"]);
  await run("crane", ["append", "--insecure", "-f", join(dir, "l.tar"), "-t", `${reg}/regfault/bundle:v1`]);
  await pushWithCrane(`${reg}/regfault/config:v1`, {
    "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-outage\n  namespace: ${ns}\ndata:\n  a: b\n`,
  });
  proxy = await startCountingProxy(
    env.registries.anonymous.url,
    () => undefined,
    (req, res) => {
      if (Date.now() >= failUntil || !req.url?.startsWith("/v2/regfault")) return false;
      faults++;
      res.writeHead(faults % 2 ? 503 : 429, { "retry-after": "1", "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "try later" }] }));
      req.resume();
      return true;
    },
  );
  pulls = await startControllerManager(op.kubeConfig, ns, createArtifactPullController, 2);
});

after(async () => {
  await pulls?.stop();
  await op?.stop();
  await proxy?.close();
  s3?.destroy();
});

describe("registry outage under ArtifactPull and OciSync", () => {
  it("both report the outage while retrying, then become Ready with the right content", async () => {
    failUntil = Date.now() + OUTAGE_MS;
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ArtifactPull",
        metadata: { name: "bundle" },
        spec: {
          source: { registry: proxy.host, plainHTTP: true, project: "regfault", repository: "bundle", tag: "v1" },
          destination: {
            s3: { endpoint: env.minio.endpoint, bucket, prefix: "bundle/", credentialsSecretRef: { name: "keys" } },
          },
          extract: true,
        },
      },
    });
    await createOciSync(op.admin, ns, "config", {
      oci: { image: `${proxy.host}/regfault/config:v1`, period: "5s", plainHTTP: true },
    });
    const pullSeen = new Set<string>();
    const syncSeen = new Set<string>();
    await Promise.all([
      readyAfterOutage(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls/bundle`, pullSeen),
      readyAfterOutage(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/config`, syncSeen),
    ]);
    console.log(
      `# ${faults} fault answers; ArtifactPull went through ${[...pullSeen].join(", ")}; OciSync through ${[...syncSeen].join(", ")}`,
    );
    assert.ok(faults >= 4, `the fault proxy answered ${faults} times`);
    for (const [kind, seen] of [
      ["ArtifactPull", pullSeen],
      ["OciSync", syncSeen],
    ] as const) {
      const failing = [...seen].filter((r) => r.startsWith("False/"));
      assert.ok(failing.length > 0, `${kind} never showed the outage: ${[...seen].join(", ")}`);
      assert.ok(
        failing.every((r) => /Unavailable|Retry|Registry/.test(r)),
        `${kind} reasons during the outage: ${failing.join(", ")}`,
      );
    }
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "bundle/extracted/notes.txt" }));
    assert.equal(await got.Body?.transformToString(), "pulled through an outage\n");
    const cm = await op.admin.request<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${ns}/configmaps/after-outage`,
    );
    assert.deepEqual(cm.data, { a: "b" });
    assert.equal((await getOciSync(op.admin, ns, "config")).status?.sync?.digest?.startsWith("sha256:"), true);
  });
});
