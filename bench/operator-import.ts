// `node bench/operator-import.ts`: what running imports through the operator costs compared with the CLI.
//  1. one BENCH_SIZE_MB (default 1024) archive: `airlift import` vs an ImageImport reconciled by `airlift operator`
//     (time from create to Ready), each into a fresh registry;
//  2. BENCH_CONCURRENT (default 20) distinct archives of BENCH_SMALL_MB (default 50) imported at once by the operator;
// and the operator's peak RSS over both (GNU time).
import type { ChildProcess } from "node:child_process";
import { rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { KubeClient } from "../src/kube/rest-client.ts";
import { installCrds, kubeClient } from "../test/integration/api-kube-support.ts";
import { airliftArgs, loadKubeConfig, startEnvironment, startRegistry } from "../test/env/index.ts";
import { s3Client } from "../test/env/minio.ts";
import { generateDockerArchive } from "./generate-archive.ts";
import { measure } from "./measure.ts";
import { benchNamespace, peakRssMiB, startBenchOperator, stopBenchOperator } from "./operator-process.ts";
import { putFile } from "./peers.ts";

const bigMiB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const smallMiB = Number(process.env.BENCH_SMALL_MB ?? 50);
const concurrent = Number(process.env.BENCH_CONCURRENT ?? 20);

async function waitAllReady(client: KubeClient, ns: string, names: string[]): Promise<void> {
  for (;;) {
    const list = await client.request<{
      items: {
        metadata: { name: string };
        status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
      }[];
    }>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`);
    const ready = list.items.filter(
      (i) =>
        names.includes(i.metadata.name) && i.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    const stalled = list.items.find((i) =>
      i.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True"),
    );
    if (stalled) throw new Error(`${stalled.metadata.name} stalled: ${JSON.stringify(stalled.status?.conditions)}`);
    if (ready.length === names.length) return;
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const env = await startEnvironment();
  const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "airlift-opbench-"));
  const s3 = s3Client(env.minio);
  const client = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  let operator: ChildProcess | undefined;
  try {
    await installCrds(kubeClient(env));
    await s3.send(new CreateBucketCommand({ Bucket: "bench" }));
    const bigPath = join(work, "big.tar");
    await generateDockerArchive(bigPath, bigMiB * 2 ** 20, 6, "bench/big:v1");
    await putFile(s3, "bench", "g/big.tar", bigPath);
    rmSync(bigPath);
    for (let i = 0; i < concurrent; i++) {
      const p = join(work, `small-${i}.tar`);
      await generateDockerArchive(p, smallMiB * 2 ** 20, 3, `bench/small${i}:v1`);
      await putFile(s3, "bench", `g/small-${i}.tar`, p);
      rmSync(p);
    }
    const awsEnv = {
      AWS_ACCESS_KEY_ID: env.minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
      AWS_ENDPOINT_URL_S3: env.minio.endpoint,
    };
    const cliRegistry = await startRegistry(join(work, "reg-cli"), "anonymous");
    const cli = await measure(
      "airlift import (CLI)",
      ...airliftArgs([
        "import",
        "s3://bench/g/big.tar",
        `${cliRegistry.host}/bench/big:v1`,
        "--plain-http",
        "--progress",
        "none",
      ]),
      awsEnv,
    );
    await cliRegistry.stop();

    const ns = "bench";
    await benchNamespace(client, ns, env.minio);
    const opRegistry = await startRegistry(join(work, "reg-op"), "anonymous");
    operator = await startBenchOperator({
      kubeconfig: env.kube.kubeconfigPath,
      namespace: ns,
      extraArgs: ["--workers", String(concurrent)],
    });
    const create = (name: string, key: string): Promise<unknown> =>
      client.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
        method: "POST",
        body: {
          apiVersion: "airlift.dev/v1alpha1",
          kind: "ImageImport",
          metadata: { name },
          spec: {
            source: {
              s3: { endpoint: env.minio.endpoint, bucket: "bench", key, credentialsSecretRef: { name: "keys" } },
            },
            destination: { registry: opRegistry.host, plainHTTP: true, repository: `bench/${name}`, tags: ["v1"] },
          },
        },
      });
    let started = Date.now();
    await create("big", "g/big.tar");
    await waitAllReady(client, ns, ["big"]);
    const opBig = (Date.now() - started) / 1000;
    const big = await client.request<{ status?: { startedAt?: string; completedAt?: string } }>(
      `/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports/big`,
    );
    const engine = (Date.parse(big.status?.completedAt ?? "") - Date.parse(big.status?.startedAt ?? "")) / 1000;
    started = Date.now();
    const names = Array.from({ length: concurrent }, (_, i) => `small-${i}`);
    await Promise.all(names.map((n, i) => create(n, `g/small-${i}.tar`)));
    await waitAllReady(client, ns, names);
    const opSmall = (Date.now() - started) / 1000;
    const rss = peakRssMiB(operator);
    await stopBenchOperator(operator);
    await opRegistry.stop();
    console.log(`\n| measurement | value |\n| --- | --- |`);
    console.log(
      `| ${bigMiB} MiB import, airlift import (CLI) | ${cli.wallSeconds.toFixed(1)} s (peak RSS ${cli.peakRssMiB.toFixed(0)} MiB) |`,
    );
    console.log(
      `| ${bigMiB} MiB import through the operator (create → Ready) | ${opBig.toFixed(1)} s (${((opBig / cli.wallSeconds - 1) * 100).toFixed(0)} % over the CLI; startedAt → completedAt ${engine.toFixed(0)} s) |`,
    );
    console.log(
      `| ${concurrent} concurrent ${smallMiB} MiB imports through the operator | ${opSmall.toFixed(1)} s total |`,
    );
    console.log(`| operator peak RSS over both | ${rss.toFixed(0)} MiB |`);
  } finally {
    if (operator && operator.exitCode === null) operator.kill("SIGKILL");
    s3.destroy();
    await client.close();
    await env.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
