// The mixed load of issue 18 in one place, for the load test (test/integration/faults-load.test.ts, which asserts
// correctness) and the load bench (bench/operator-load.ts, which times it against a peer): N small docker archives in
// a bucket, M small config images in a registry, the N ImageImports and M OciSyncs created at once, and a wait until
// every one is Ready at its generation (a Stalled one fails the wait).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import type { KubeClient } from "../src/kube/rest-client.ts";
import { forEachBounded } from "../src/transfer/pool.ts";
import { run } from "../test/env/index.ts";
import { writeFiles } from "../test/integration/ocisync-support.ts";
import { generateDockerArchive } from "./generate-archive.ts";
import { putFile } from "./peers.ts";

/** Where the load lives. */
export interface LoadPlan {
  namespace: string;
  imports: number;
  syncs: number;
  /** Bucket holding `small-<i>.tar`. */
  bucket: string;
  /** The S3 endpoint the ImageImports read (and its keys in Secret `keys`). */
  s3Endpoint: string;
  /** Plain-HTTP registry host the imports push to and the syncs pull from. */
  registry: string;
}

/** Size of each import's archive. */
export const ARCHIVE_BYTES = 2 << 20;

/** The archive key of import `i`. */
export const archiveKey = (i: number): string => `small-${i}.tar`;

/** The config image of sync `i`. */
export const syncImage = (plan: LoadPlan, i: number): string => `${plan.registry}/${plan.namespace}/config-${i}:v1`;

/** Puts the archives into the bucket and pushes the sync images (crane append of three ConfigMaps each). */
export async function seedLoad(plan: LoadPlan, s3: S3Client, work: string): Promise<void> {
  const indexes = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  await forEachBounded(indexes(plan.imports), 8, undefined, async (i) => {
    const path = join(work, archiveKey(i));
    await generateDockerArchive(path, ARCHIVE_BYTES, 3, `load/small${i}:v1`);
    await putFile(s3, plan.bucket, archiveKey(i), path);
    rmSync(path);
  });
  const cm = (sync: number, j: number): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s${sync}-cm-${j}\n  namespace: ${plan.namespace}\ndata:\n  sync: "${sync}"\n`;
  await forEachBounded(indexes(plan.syncs), 6, undefined, async (i) => {
    const dir = writeFiles({ "a.yaml": cm(i, 0), "b.yaml": cm(i, 1), "c.yaml": cm(i, 2) });
    const tarball = join(work, `config-${i}.tar`);
    try {
      await run("tar", ["-C", dir, "-cf", tarball, "a.yaml", "b.yaml", "c.yaml"]);
      await run("crane", ["append", "--insecure", "-f", tarball, "-t", syncImage(plan, i)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(tarball, { force: true });
    }
  });
}

function importBody(plan: LoadPlan, i: number): Record<string, unknown> {
  return {
    apiVersion: "airlift.dev/v1alpha1",
    kind: "ImageImport",
    metadata: { name: `imp-${i}` },
    spec: {
      source: {
        s3: {
          endpoint: plan.s3Endpoint,
          bucket: plan.bucket,
          key: archiveKey(i),
          credentialsSecretRef: { name: "keys" },
        },
      },
      destination: {
        registry: plan.registry,
        plainHTTP: true,
        repository: `${plan.namespace}/small-${i}`,
        tags: ["v1"],
      },
    },
  };
}

function syncBody(plan: LoadPlan, i: number): Record<string, unknown> {
  return {
    apiVersion: "airlift.dev/v1alpha1",
    kind: "OciSync",
    metadata: { name: `sync-${i}` },
    spec: { oci: { image: syncImage(plan, i), period: "30s", plainHTTP: true } },
  };
}

/** Creates every ImageImport and OciSync, 16 requests at a time (imports first, as a batch job would). */
export async function createLoad(admin: KubeClient, plan: LoadPlan): Promise<void> {
  const bodies = [
    ...Array.from({ length: plan.imports }, (_, i) => ["imageimports", importBody(plan, i)] as const),
    ...Array.from({ length: plan.syncs }, (_, i) => ["ocisyncs", syncBody(plan, i)] as const),
  ];
  await forEachBounded(bodies, 16, undefined, async ([plural, body]) => {
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${plan.namespace}/${plural}`, {
      method: "POST",
      body,
    });
  });
}

interface Listed {
  items: {
    metadata: { name: string; generation?: number };
    status?: {
      observedGeneration?: number;
      conditions?: { type: string; status: string; reason?: string; message?: string }[];
    };
  }[];
}

/** How many listed objects are Ready at their generation; throws on the first Stalled one. */
async function readyCount(admin: KubeClient, namespace: string, plural: string): Promise<number> {
  const list = await admin.request<Listed>(`/apis/airlift.dev/v1alpha1/namespaces/${namespace}/${plural}`);
  let ready = 0;
  for (const o of list.items) {
    const stalled = o.status?.conditions?.find((c) => c.type === "Stalled" && c.status === "True");
    if (stalled) throw new Error(`${plural}/${o.metadata.name} stalled: ${stalled.reason}: ${stalled.message}`);
    const isReady = o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    if (isReady && o.status?.observedGeneration === o.metadata.generation) ready++;
  }
  return ready;
}

/** Milliseconds from `startedMs` until all imports, and all syncs, were Ready. */
export interface LoadTimes {
  importsMs: number;
  syncsMs: number;
}

/** Polls (every 200 ms) until every import and sync is Ready; throws on a Stalled one or after `timeoutMs`. */
export async function waitLoadReady(
  admin: KubeClient,
  plan: LoadPlan,
  startedMs: number,
  timeoutMs = 600_000,
): Promise<LoadTimes> {
  const times: LoadTimes = { importsMs: 0, syncsMs: 0 };
  for (;;) {
    const [imports, syncs] = await Promise.all([
      readyCount(admin, plan.namespace, "imageimports"),
      readyCount(admin, plan.namespace, "ocisyncs"),
    ]);
    if (!times.importsMs && imports === plan.imports) times.importsMs = Date.now() - startedMs;
    if (!times.syncsMs && syncs === plan.syncs) times.syncsMs = Date.now() - startedMs;
    if (times.importsMs && times.syncsMs) return times;
    if (Date.now() - startedMs > timeoutMs) throw new Error(`load not Ready after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}
