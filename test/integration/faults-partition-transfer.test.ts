// A silent network partition (toxiproxy's `timeout` toxic: packets held, no reset, no close) under a real operator
// process importing a large archive: first S3 goes silent mid-stream, then the registry mid-push. Every connection
// that was moving bytes at the cut is given up by the operator within the transfer idle bound
// (TRANSFER_IDLE_TIMEOUT_MS, src/net/network-bounds.ts) of its last byte, as the kernel sees it (`ss`; the proxy's
// buffers still take bytes for a moment after the cut), and once the partition heals
// the import completes with complete, verified content: the tag names a manifest whose every blob skopeo pulls and
// checks, and the repository holds no other tag.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { generateDockerArchive } from "../../bench/generate-archive.ts";
import { putFile } from "../../bench/peers.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import { TRANSFER_IDLE_TIMEOUT_MS } from "../../src/net/network-bounds.ts";
import { run, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { proxiedKubeconfig, startToxiproxy, type Toxiproxy } from "../env/toxiproxy.ts";
import { adminOnTestEnv, namespaceWithS3Keys, unique, waitFor } from "./ocisync-support.ts";
import {
  activeConnections,
  closedWithin,
  connectionsTo,
  heal,
  OperatorProcess,
  partitionOperatorArgs,
  portOf,
  type Closed,
  silence,
} from "./partition-support.ts";

/** Scheduling slack on a loaded 2-core machine: the `ss` poll period, timers firing late. */
const MARGIN_MS = 5_000;
const ns = unique("partition");
const bucket = unique("partition");
const work = mkdtempSync(join(tmpdir(), "airlift-partition-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let toxi: Toxiproxy;
let operator: OperatorProcess;
let s3: S3Client;
/** The proxies' listen addresses (host:port). */
const proxies: Record<"minio" | "registry", string> = { minio: "", registry: "" };

interface Cond {
  type: string;
  status: string;
  reason: string;
}

async function ready(name: string, plural = "imageimports"): Promise<boolean> {
  const o = await admin.request<{
    metadata: { generation?: number };
    status?: { observedGeneration?: number; conditions?: Cond[] };
  }>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`);
  return (
    o.status?.observedGeneration === o.metadata.generation &&
    !!o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
  );
}

async function createImport(name: string, repository: string, key: string): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ImageImport",
      metadata: { name },
      spec: {
        source: {
          s3: { endpoint: `http://${proxies.minio}`, bucket, key, credentialsSecretRef: { name: "keys" } },
        },
        destination: { registry: proxies.registry, plainHTTP: true, repository, tags: ["v1"] },
      },
    },
  });
}

/** Waits until some connection to `proxy` has moved `bytes` in the direction given: the transfer is mid-stream. */
async function midStream(proxy: string, direction: "bytesAcked" | "bytesReceived", bytes: number): Promise<void> {
  await waitFor(
    `${proxy}: a connection past ${bytes} bytes`,
    async () =>
      [...(await connectionsTo(portOf(proxy))).values()].some((c) => c[direction] > bytes) ? true : undefined,
    120_000,
  );
}

/**
 * Cuts `name` silently while its transfer is mid-stream; every connection that was moving bytes must be given up
 * within the idle bound. Heals the partition and returns the noticing times.
 */
async function partitionMidStream(name: "minio" | "registry"): Promise<Closed[]> {
  const port = portOf(proxies[name]);
  const active = await activeConnections(port);
  assert.ok(active.length > 0, `no connection through ${name} was moving bytes at the cut`);
  const cutAt = await silence(toxi, name);
  const bound = TRANSFER_IDLE_TIMEOUT_MS + MARGIN_MS;
  // The proxy's buffers take bytes for a while after the cut: the silence starts at each connection's last byte.
  const gone = await closedWithin(port, active, cutAt, 2 * bound);
  // Held a while longer: the operator's retries meet the same silence.
  await new Promise((r) => setTimeout(r, Math.max(0, cutAt + bound - Date.now())));
  await heal(toxi, name);
  const stuck = active.filter((p) => !gone.has(p));
  assert.deepEqual(
    stuck,
    [],
    `connections through ${name} still open ${2 * bound} ms after the silent cut: ${stuck.join(", ")}`,
  );
  for (const c of gone.values())
    assert.ok(c.afterLastByte <= bound, `a connection through ${name} went ${c.afterLastByte} ms after its last byte`);
  return [...gone.values()];
}

/** "30.1 s after the cut (29.0 s after its last byte), ..." */
function given(closed: Closed[]): string {
  return closed
    .map(
      (c) =>
        `${(c.afterCut / 1000).toFixed(1)} s after the cut (${(c.afterLastByte / 1000).toFixed(1)} s after its last byte)`,
    )
    .join(", ");
}

/** skopeo pulls every blob of the tag and checks its digest; the repository has that one tag only. */
async function verifyComplete(repository: string): Promise<void> {
  await run("skopeo", [
    "copy",
    "--src-tls-verify=false",
    `docker://${env.registries.anonymous.host}/${repository}:v1`,
    `dir:${mkdtempSync(join(work, "pulled-"))}`,
  ]);
  const tags = await run("crane", ["ls", "--insecure", `${env.registries.anonymous.host}/${repository}`]);
  assert.deepEqual(tags.stdout.trim().split("\n"), ["v1"]);
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await namespaceWithS3Keys(admin, ns, env.minio);
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // One archive per case (random layers): the second import cannot mount what the first one pushed.
  for (const name of ["s3", "registry"]) {
    await generateDockerArchive(join(work, `${name}.tar`), 48 << 20, 2, "partition/app:v1");
    await putFile(s3, bucket, `src/${name}.tar`, join(work, `${name}.tar`));
  }
  // The pull source: an ORAS artifact of one 32 MiB random file (two 16 MiB parts in the bucket).
  writeFileSync(join(work, "bundle.bin"), randomBytes(32 << 20));
  await run("oras", ["push", "--plain-http", `${env.registries.anonymous.host}/partition/bundle:v1`, "bundle.bin"], {
    cwd: work,
  });
  toxi = await startToxiproxy(join(work, "toxiproxy"));
  proxies.minio = await toxi.proxy("minio", new URL(env.minio.endpoint).host);
  proxies.registry = await toxi.proxy("registry", env.registries.anonymous.host);
  const kubeconfig = await proxiedKubeconfig(toxi, "api", env.kube, join(work, "operator.kubeconfig"));
  operator = new OperatorProcess(
    "transfer",
    partitionOperatorArgs(kubeconfig, ns, ["--work-dir", join(work, "operator")]),
  );
  await operator.start();
});

after(async () => {
  await operator?.stop();
  await toxi?.stop();
  s3?.destroy();
  await admin?.close();
});

describe("silent partition mid-transfer", () => {
  it("S3 goes silent mid-stream: the operator gives up every stalled read within the idle bound, then completes", async () => {
    // Slow enough that the cut lands mid-layer: 48 MiB at ~4 MB/s.
    await toxi.addToxic("minio", { name: "slow", type: "bandwidth", stream: "downstream", attributes: { rate: 4000 } });
    await createImport("s3-silent", "partition/s3-silent", "src/s3.tar");
    await midStream(proxies.minio, "bytesReceived", 8 << 20);
    const noticed = await partitionMidStream("minio");
    await toxi.removeToxic("minio", "slow");
    const healedAt = Date.now();
    await waitFor("s3-silent Ready", async () => ((await ready("s3-silent")) ? true : undefined), 180_000);
    await verifyComplete("partition/s3-silent");
    console.log(
      `# S3 silent mid-stream: ${noticed.length} stalled connection(s) given up ${given(noticed)} ` +
        `(bound ${TRANSFER_IDLE_TIMEOUT_MS / 1000} s + ${MARGIN_MS / 1000} s); Ready ${((Date.now() - healedAt) / 1000).toFixed(1)} s after healing`,
    );
  });

  it("the registry goes silent mid-push: the operator gives up every stalled upload within the idle bound, then completes", async () => {
    await toxi.addToxic("registry", {
      name: "slow",
      type: "bandwidth",
      stream: "upstream",
      attributes: { rate: 4000 },
    });
    await createImport("registry-silent", "partition/registry-silent", "src/registry.tar");
    await midStream(proxies.registry, "bytesAcked", 8 << 20);
    const noticed = await partitionMidStream("registry");
    await toxi.removeToxic("registry", "slow");
    const healedAt = Date.now();
    await waitFor("registry-silent Ready", async () => ((await ready("registry-silent")) ? true : undefined), 180_000);
    await verifyComplete("partition/registry-silent");
    console.log(
      `# registry silent mid-push: ${noticed.length} stalled connection(s) given up ${given(noticed)} ` +
        `(bound ${TRANSFER_IDLE_TIMEOUT_MS / 1000} s + ${MARGIN_MS / 1000} s); Ready ${((Date.now() - healedAt) / 1000).toFixed(1)} s after healing`,
    );
  });

  it("S3 goes silent mid-upload of an ArtifactPull: every stalled upload given up within the idle bound, no partial object", async () => {
    await toxi.addToxic("minio", { name: "slow", type: "bandwidth", stream: "upstream", attributes: { rate: 4000 } });
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ArtifactPull",
        metadata: { name: "pull-silent" },
        spec: {
          source: {
            registry: proxies.registry,
            plainHTTP: true,
            project: "partition",
            repository: "bundle",
            tag: "v1",
          },
          destination: {
            s3: {
              endpoint: `http://${proxies.minio}`,
              bucket,
              prefix: "pull/",
              credentialsSecretRef: { name: "keys" },
            },
          },
        },
      },
    });
    await midStream(proxies.minio, "bytesAcked", 8 << 20);
    const noticed = await partitionMidStream("minio");
    await toxi.removeToxic("minio", "slow");
    const healedAt = Date.now();
    await waitFor(
      "pull-silent Ready",
      async () => ((await ready("pull-silent", "artifactpulls")) ? true : undefined),
      180_000,
    );
    // Every object under the prefix is whole: each blob's bytes hash to its name, and the 32 MiB one is there.
    const keys = (await listPrefix(s3, bucket, "pull/")).map((o) => o.key);
    const blobs = keys.filter((k) => k.includes("/blobs/sha256/"));
    assert.ok(blobs.length >= 3, `blobs in the layout: ${keys.join(", ")}`);
    let largest = 0;
    for (const key of blobs) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      largest = Math.max(largest, bytes.length);
      assert.equal(createHash("sha256").update(bytes).digest("hex"), key.split("/").pop(), `${key} is not whole`);
    }
    assert.equal(largest, 32 << 20);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(
      (uploads.Uploads ?? []).map((u) => u.Key),
      [],
      "unfinished multipart uploads left in the bucket",
    );
    console.log(
      `# S3 silent mid-upload (ArtifactPull): ${noticed.length} stalled connection(s) given up ${given(noticed)} ` +
        `(bound ${TRANSFER_IDLE_TIMEOUT_MS / 1000} s + ${MARGIN_MS / 1000} s); Ready ${((Date.now() - healedAt) / 1000).toFixed(1)} s after healing; ` +
        `${blobs.length} whole blobs, ${uploads.Uploads?.length ?? 0} unfinished multipart uploads left in the bucket`,
    );
  });
});
