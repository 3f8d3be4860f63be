// The real operator killed with SIGKILL at random points, many times in a row, while it imports, pulls and syncs.
// Each round starts the operator, creates a new ImageImport and ArtifactPull and moves the OciSync to the other of two
// images, then kills the operator at a random moment after its controllers start (a seeded PRNG: FAULTS_SEED
// reproduces a run). At the end one operator runs to completion: every resource is Ready with the right content,
// nothing complete was written twice: each (repository, blob) the registry committed once, each layout blob in the
// bucket written once (counted by pass-through proxies in front of the registry and MinIO), and the operator's work
// folder holds no staging or half-extracted source of the killed incarnations.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { generateDockerArchive } from "../../bench/generate-archive.ts";
import { putFile } from "../../bench/peers.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import { airliftArgs, repoRoot, run, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { startHarborStandin, type HarborStandin } from "../harbor-standin/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import { committedBlob, startCountingProxy, type CountingProxy } from "./counting-proxy.ts";
import {
  adminOnTestEnv,
  createOciSync,
  namespaceWithS3Keys,
  pushWithCrane,
  unique,
  waitFor,
} from "./ocisync-support.ts";

const ROUNDS = Number(process.env.FAULTS_KILLS ?? 8);
const SEED = Number(process.env.FAULTS_SEED ?? 20261202);
const ns = unique("killloop");
const bucket = unique("killloop");
const work = mkdtempSync(join(tmpdir(), "airlift-killloop-"));
/** The operator's --work-dir, kept across its incarnations as an emptyDir is across container restarts. */
const operatorWork = join(work, "operator");
let env: EnvironmentConnection;
let admin: KubeClient;
let s3: S3Client;
let harbor: HarborStandin;
let registryProxy: CountingProxy;
let s3Proxy: CountingProxy;
/** `repo@digest` → how many times the registry committed its upload. */
const committed = new Map<string, number>();
/** S3 key → how many times an object was completely written there. */
const written = new Map<string, number>();
const syncImages: string[] = [];
let pullDigest = "";

/** mulberry32: a small seeded PRNG, so a failing FAULTS_SEED can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the operator; resolves once its controllers run. */
async function startOperator(): Promise<ChildProcess> {
  const [cmd, args] = airliftArgs([
    "operator",
    "--kubeconfig",
    env.kube.kubeconfigPath,
    "--namespace",
    ns,
    "--watch-namespace",
    ns,
    "--metrics-addr",
    "0",
    "--health-addr",
    "0",
    "--log-level",
    "debug",
    "--allow-loopback-endpoints",
    "--work-dir",
    operatorWork,
  ]);
  const proc = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  teeToSuiteLog("faults-kill-loop", proc.stdout, proc.stderr);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      if (line.includes('"controllers started"')) resolve();
    });
    proc.once("exit", (code) => reject(new Error(`operator exited ${code} before its controllers started`)));
  });
  return proc;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

interface Conditioned {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

async function readyNow(plural: string, name: string): Promise<boolean> {
  const o = await admin.request<Conditioned>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`);
  return (
    o.status?.observedGeneration === o.metadata.generation &&
    !!o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
  );
}

async function object(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(async (err: unknown) => {
    const keys = (await listPrefix(s3, bucket, key.split("/").slice(0, 2).join("/"))).map((o) => o.key);
    throw new Error(`${key}: ${(err as Error).message}; the prefix holds ${keys.join(", ")}`);
  });
  return (await got.Body?.transformToString()) ?? "";
}

const cm = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  value: "${value}"\n`;

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await namespaceWithS3Keys(admin, ns, env.minio);
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // The import source: one 96 MiB archive of 6 layers, imported into a new repository each round.
  await generateDockerArchive(join(work, "app.tar"), 96 << 20, 6, "killloop/app:v1");
  await putFile(s3, bucket, "src/app.tar", join(work, "app.tar"));
  // The pull source: an artifact of 4 layers of 12 MiB random bytes plus a small text file, behind the Harbor stand-in.
  harbor = await startHarborStandin({ registry: env.registries.anonymous });
  const ref = `${harbor.host}/apps/bundle:v1`;
  for (let i = 0; i < 4; i++) {
    const dir = mkdtempSync(join(work, "layer-"));
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", `part-${i}.bin`), randomBytes(12 << 20));
    if (i === 0) writeFileSync(join(dir, "data", "README.txt"), "bundle v1\n");
    await run("tar", ["-C", dir, "-cf", join(dir, "layer.tar"), "data"]);
    await run("crane", [
      "append",
      "--insecure",
      ...(i > 0 ? ["-b", ref] : []),
      "-f",
      join(dir, "layer.tar"),
      "-t",
      ref,
    ]);
  }
  pullDigest = (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
  // The sync sources: 40 ConfigMaps, and the same 40 with other values plus 10 more (so each move applies or prunes).
  for (const [v, count] of [
    ["one", 40],
    ["two", 50],
  ] as const) {
    const files: Record<string, string> = {};
    for (let i = 0; i < count; i++) files[`cm-${i}.yaml`] = cm(`cm-${i}`, v);
    const image = `${env.registries.anonymous.host}/${ns}/config:${v}`;
    await pushWithCrane(image, files);
    syncImages.push(image);
  }
  registryProxy = await startCountingProxy(env.registries.anonymous.url, (req, status) => {
    const blob = committedBlob(req, status);
    if (blob) count(committed, blob);
  });
  s3Proxy = await startCountingProxy(env.minio.endpoint, (req, status) => {
    const url = new URL(req.url ?? "/", "http://x");
    const whole =
      (req.method === "PUT" && !url.searchParams.has("uploadId")) ||
      (req.method === "POST" && url.searchParams.has("uploadId"));
    if (whole && status === 200) count(written, decodeURIComponent(url.pathname.slice(`/${bucket}/`.length)));
  });
});

after(async () => {
  await registryProxy?.close();
  await s3Proxy?.close();
  await harbor?.close();
  s3?.destroy();
  await admin?.close();
});

describe("operator killed with SIGKILL at random points", () => {
  it(`imports, pulls and syncs survive ${ROUNDS} kills: all Ready, right content, nothing complete written twice`, async () => {
    const random = prng(SEED);
    const kills: string[] = [];
    await createOciSync(admin, ns, "config", { oci: { image: syncImages[0], period: "5s", plainHTTP: true } });
    for (let round = 0; round < ROUNDS; round++) {
      const operator = await startOperator();
      await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
        method: "POST",
        body: {
          apiVersion: "airlift.dev/v1alpha1",
          kind: "ImageImport",
          metadata: { name: `imp-${round}` },
          spec: {
            source: {
              s3: { endpoint: env.minio.endpoint, bucket, key: "src/app.tar", credentialsSecretRef: { name: "keys" } },
            },
            destination: {
              registry: registryProxy.host,
              plainHTTP: true,
              repository: `killloop/app-${round}`,
              tags: ["v1"],
            },
            concurrency: 2,
          },
        },
      });
      await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls`, {
        method: "POST",
        body: {
          apiVersion: "airlift.dev/v1alpha1",
          kind: "ArtifactPull",
          metadata: { name: `pull-${round}` },
          spec: {
            source: { registry: harbor.host, plainHTTP: true, project: "apps", repository: "bundle", tag: "v1" },
            destination: {
              s3: {
                endpoint: `http://${s3Proxy.host}`,
                bucket,
                prefix: `pulls/${round}/`,
                credentialsSecretRef: { name: "keys" },
              },
            },
            extract: true,
          },
        },
      });
      await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/config`, {
        method: "PATCH",
        patchType: "merge",
        body: { spec: { oci: { image: syncImages[(round + 1) % 2] } } },
      });
      const delay = Math.round(random() * 2_500);
      await sleep(delay);
      const states = await Promise.all([
        readyNow("imageimports", `imp-${round}`),
        readyNow("artifactpulls", `pull-${round}`),
        readyNow("ocisyncs", "config"),
      ]);
      operator.kill("SIGKILL");
      await new Promise((r) => operator.once("exit", r));
      kills.push(
        `round ${round}: +${delay} ms, Ready before the kill: import ${states[0]}, pull ${states[1]}, sync ${states[2]}`,
      );
    }
    const operator = await startOperator();
    try {
      await waitFor(
        "every resource Ready",
        async () => {
          for (let round = 0; round < ROUNDS; round++) {
            if (
              !(await readyNow("imageimports", `imp-${round}`)) ||
              !(await readyNow("artifactpulls", `pull-${round}`))
            )
              return undefined;
          }
          return (await readyNow("ocisyncs", "config")) ? true : undefined;
        },
        240_000,
      );
    } finally {
      operator.kill("SIGTERM");
      await new Promise((r) => operator.once("exit", r));
    }
    console.log(
      `# seed ${SEED}\n# ${kills.join("\n# ")}\n# registry commits: ${committed.size} (repository, blob) pairs, each once; S3 layout blobs written: ${[...written.keys()].filter((k) => k.includes("/blobs/")).length}, each once`,
    );
    // Content: each imported image copies out with every digest verified; each pull has the layout and the files.
    for (let round = 0; round < ROUNDS; round++) {
      // skopeo verifies every blob's digest as it copies (crane validate assumes gzip layers; these are plain tars).
      await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        `docker://${env.registries.anonymous.host}/killloop/app-${round}:v1`,
        `dir:${mkdtempSync(join(work, "pulled-"))}`,
      ]);
      const index = JSON.parse(await object(`pulls/${round}/index.json`)) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]?.digest, pullDigest);
      assert.equal(await object(`pulls/${round}/extracted/data/README.txt`), "bundle v1\n");
    }
    // The sync: exactly the last image's objects carry its owner labels, with its values (none orphaned by a kill
    // between applying and recording what was applied, none missing).
    const [finalValue, finalCount] = ROUNDS % 2 === 1 ? ["two", 50] : ["one", 40];
    const owned = await admin.request<{ items: { metadata: { name: string }; data?: { value?: string } }[] }>(
      `/api/v1/namespaces/${ns}/configmaps`,
      {
        query: { labelSelector: "airlift.dev/owner-kind=OciSync,airlift.dev/owner-name=config" },
      },
    );
    assert.deepEqual(
      owned.items.map((o) => o.metadata.name).sort(),
      Array.from({ length: finalCount }, (_, i) => `cm-${i}`).sort(),
    );
    assert.ok(
      owned.items.every((o) => o.data?.value === finalValue),
      "every ConfigMap has the last image's value",
    );
    // Nothing left behind by the killed incarnations in the work folder: no pull staging, no half-extracted source.
    assert.deepEqual(readdirSync(join(operatorWork, "artifactpull")), [], "pull staging left in the work folder");
    for (const folder of readdirSync(join(operatorWork, "ocisync"))) {
      const names = readdirSync(join(operatorWork, "ocisync", folder));
      assert.deepEqual(
        names.filter((n) => n.startsWith(".")),
        [],
        `extraction leftovers in ocisync/${folder}`,
      );
      assert.equal(names.length, 1, `ocisync/${folder} holds one digest's folder: ${names.join(", ")}`);
    }
    // Nothing complete was written twice.
    for (const [blob, n] of committed) assert.equal(n, 1, `${blob} was committed ${n} times`);
    // Imports of the same bytes mount from a sibling repository when the operator knows one (not across restarts).
    const digests = new Set([...committed.keys()].map((k) => k.split("@")[1]));
    assert.equal(digests.size, 7, "the archive's 6 layers and config were each uploaded");
    const blobWrites = [...written].filter(([key]) => key.includes("/blobs/"));
    for (const [key, n] of blobWrites) assert.equal(n, 1, `${key} was written ${n} times`);
    assert.equal(blobWrites.length, ROUNDS * 6, "every pull wrote its 4 layers, config and manifest once");
  });
});
