// `npm run bench:dropbox`: a drop-box of BENCH_DROPBOX_N (default 1,000) small archives (BENCH_DROPBOX_KB, default
// 64 KiB, one layer each, with a SHA256SUMS) under one prefix, imported three ways into fresh registries:
//   1. the peer: `airlift import` of one archive at a time in a shell loop (over the first BENCH_DROPBOX_LOOP archives,
//      default 100: a Node process per archive makes the whole loop slow to wait for), as archives per second;
//   2. `airlift import s3://bench/drop/ ...` once (the CLI drop-box);
//   3. an ImageImport of the prefix, reconciled by `airlift operator`: create → every archive imported, with the
//      operator's peak RSS (target < 250 MiB) and its throughput against the loop's (target: within 1.5×).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { ChildProcess } from "node:child_process";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { KubeClient } from "../src/kube/rest-client.ts";
import { installCrds, kubeClient } from "../test/integration/api-kube-support.ts";
import { airliftArgs, loadKubeConfig, startEnvironment, startRegistry } from "../test/env/index.ts";
import { s3Client } from "../test/env/minio.ts";
import { generateDockerArchive } from "./generate-archive.ts";
import { measure } from "./measure.ts";
import { benchNamespace, peakRssMiB, startBenchOperator, stopBenchOperator } from "./operator-process.ts";

const count = Number(process.env.BENCH_DROPBOX_N ?? 1_000);
const kib = Number(process.env.BENCH_DROPBOX_KB ?? 64);
const loop = Math.min(count, Number(process.env.BENCH_DROPBOX_LOOP ?? 100));
const parallel = Number(process.env.BENCH_DROPBOX_PARALLEL ?? 4);

async function imported(client: KubeClient, ns: string): Promise<number> {
  const obj = await client.request<{ status?: { dropBox?: { imported?: number } } }>(
    `/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/drop`,
  );
  return obj.status?.dropBox?.imported ?? 0;
}

async function main(): Promise<void> {
  const env = await startEnvironment();
  const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "airlift-dropbench-"));
  const s3 = s3Client(env.minio);
  const client = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  let operator: ChildProcess | undefined;
  try {
    await installCrds(kubeClient(env));
    await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
    const sums: string[] = [];
    for (let i = 0; i < count; i++) {
      const path = join(work, `a${i}.tar`);
      await generateDockerArchive(path, kib * 1024, 1, `bench/drop${i}:v1`);
      const bytes = readFileSync(path);
      sums.push(`${createHash("sha256").update(bytes).digest("hex")}  a${i}.tar`);
      // The same archives under two prefixes: drop/ for the CLI runs, op/ for the operator's drop-box.
      for (const prefix of ["drop", "op"])
        await s3.send(new PutObjectCommand({ Bucket: "bench", Key: `${prefix}/a${i}.tar`, Body: bytes }));
      rmSync(path);
    }
    for (const prefix of ["drop", "op"])
      await s3.send(
        new PutObjectCommand({ Bucket: "bench", Key: `${prefix}/SHA256SUMS`, Body: `${sums.join("\n")}\n` }),
      );
    const awsEnv = {
      AWS_ACCESS_KEY_ID: env.minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
      AWS_ENDPOINT_URL_S3: env.minio.endpoint,
    };

    const loopRegistry = await startRegistry(join(work, "reg-loop"), "anonymous");
    const [node, args] = airliftArgs([]);
    const cli = [node, ...args].map((a) => `'${a}'`).join(" ");
    const script = Array.from(
      { length: loop },
      (_, i) =>
        `${cli} import s3://bench/drop/a${i}.tar ${loopRegistry.host}/loop/drop${i}:v1 --plain-http --progress none >/dev/null`,
    ).join(" && ");
    const shellLoop = await measure(`shell loop of ${loop} airlift import`, "sh", ["-c", script], awsEnv);
    await loopRegistry.stop();

    const cliRegistry = await startRegistry(join(work, "reg-cli"), "anonymous");
    const cliBox = await measure(
      "airlift import s3://bench/drop/",
      ...airliftArgs([
        "import",
        "s3://bench/drop/",
        cliRegistry.host,
        "--repository-prefix",
        "cli",
        "--plain-http",
        "--parallel",
        String(parallel),
        "--progress",
        "none",
      ]),
      awsEnv,
    );
    await cliRegistry.stop();

    const ns = "bench";
    await benchNamespace(client, ns, env.minio);
    const opRegistry = await startRegistry(join(work, "reg-op"), "anonymous");
    operator = await startBenchOperator({ kubeconfig: env.kube.kubeconfigPath, namespace: ns });
    const started = Date.now();
    await client.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "ImageImport",
        metadata: { name: "drop" },
        spec: {
          source: {
            s3: {
              endpoint: env.minio.endpoint,
              bucket: "bench",
              prefix: "op/",
              credentialsSecretRef: { name: "keys" },
            },
          },
          destination: { registry: opRegistry.host, plainHTTP: true, rewrite: { repositoryPrefix: "op/" } },
          parallelImports: parallel,
          interval: "5s",
        },
      },
    });
    while ((await imported(client, ns)) < count) await sleep(500);
    const opSeconds = (Date.now() - started) / 1000;
    const rss = peakRssMiB(operator);
    await stopBenchOperator(operator);
    await opRegistry.stop();
    const loopRate = loop / shellLoop.wallSeconds;
    const opRate = count / opSeconds;
    console.log(`\n${count} archives of ${kib} KiB, each with its SHA256SUMS line checked and a receipt written`);
    console.log(`| measurement | wall | archives/s | peak RSS |\n| --- | --- | --- | --- |`);
    console.log(
      `| shell loop of ${loop} \`airlift import\` | ${shellLoop.wallSeconds.toFixed(1)} s | ${loopRate.toFixed(2)} | ${shellLoop.peakRssMiB.toFixed(0)} MiB (each) |`,
    );
    console.log(
      `| \`airlift import s3://bench/drop/\` (${count}, --parallel ${parallel}) | ${cliBox.wallSeconds.toFixed(1)} s | ${(count / cliBox.wallSeconds).toFixed(2)} | ${cliBox.peakRssMiB.toFixed(0)} MiB |`,
    );
    console.log(
      `| operator drop-box (${count}, parallelImports ${parallel}), create → all imported | ${opSeconds.toFixed(1)} s | ${opRate.toFixed(2)} | ${rss.toFixed(0)} MiB |`,
    );
    console.log(`| operator throughput / shell loop's | ${(opRate / loopRate).toFixed(2)}× | | |`);
  } finally {
    if (operator && operator.exitCode === null) operator.kill("SIGKILL");
    s3.destroy();
    await client.close();
    await env.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
