// `npm run bench:load`: issue 18's mixed load. LOAD_IMPORTS (default 200) ImageImports of 2 MiB docker archives
// and LOAD_SYNCS (default 100) OciSyncs of three ConfigMaps each, created at once and reconciled by one
// `airlift operator` with the Deployment's defaults (extra flags: BENCH_OPERATOR_ARGS, space-separated; Node
// flags for the operator alone, a CPU profile say: BENCH_OPERATOR_NODE_ARGS). Prints the time until every
// import, and every sync, is Ready, the operator's peak RSS, and the peer of the same run: the same archives
// downloaded from the bucket and pushed with `crane push`, BENCH_PEER_PARALLEL (default 4) at a time, into a
// fresh registry, once before and once after the operator's run. The ratio is all-Ready over the peer's mean wall
// time; `uptime`'s load averages stand beside it, and where the operator's time went (from its /metrics).
import type { ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CreateBucketCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeClient } from "../src/kube/rest-client.ts";
import { forEachBounded } from "../src/transfer/pool.ts";
import { installCrds, kubeClient } from "../test/integration/api-kube-support.ts";
import { freePort, loadKubeConfig, run, s3Client, startEnvironment, startRegistry } from "../test/env/index.ts";
import { archiveKey, createLoad, seedLoad, waitLoadReady, type LoadPlan } from "./load-fixture.ts";
import { benchNamespace, cpuSeconds, peakRssMiB, startBenchOperator, stopBenchOperator } from "./operator-process.ts";

const imports = Number(process.env.LOAD_IMPORTS ?? 200);
const syncs = Number(process.env.LOAD_SYNCS ?? 100);
const peerParallel = Number(process.env.BENCH_PEER_PARALLEL ?? 4);
const operatorArgs = (process.env.BENCH_OPERATOR_ARGS ?? "").split(" ").filter(Boolean);

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");

/**
 * The peer: each archive downloaded from the bucket, then `crane push` into a fresh registry, `parallel` at a time.
 * Milliseconds, and the load average after it.
 */
async function cranePushAll(s3: S3Client, plan: LoadPlan, work: string): Promise<{ ms: number; load: string }> {
  const registry = await startRegistry(mkdtempSync(join(work, "reg-peer-")), "anonymous");
  const started = Date.now();
  const indexes = Array.from({ length: plan.imports }, (_, i) => i);
  await forEachBounded(indexes, peerParallel, undefined, async (i) => {
    const path = join(work, `peer-${i}.tar`);
    const object = await s3.send(new GetObjectCommand({ Bucket: plan.bucket, Key: archiveKey(i) }));
    await pipeline(object.Body as Readable, createWriteStream(path));
    await run("crane", ["push", "--insecure", path, `${registry.host}/peer/small-${i}:v1`]);
    rmSync(path);
  });
  const ms = Date.now() - started;
  await registry.stop();
  return { ms, load: load() };
}

/** Sum and count of a histogram's series in a Prometheus text, by one label's value. */
function histogram(text: string, name: string, label: string): Map<string, { sum: number; count: number }> {
  const out = new Map<string, { sum: number; count: number }>();
  for (const m of text.matchAll(new RegExp(`^${name}_(sum|count)\\{([^}]*)\\} (\\S+)$`, "gm"))) {
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[2] ?? "")?.[1] ?? "";
    const entry = out.get(key) ?? { sum: 0, count: 0 };
    entry[m[1] as "sum" | "count"] += Number(m[3]);
    out.set(key, entry);
  }
  return out;
}

/** Where the operator's time went, from its /metrics: reconciles, queue waits and API requests, by kind or verb. */
function whereTimeWent(text: string): string[] {
  const lines: string[] = [];
  const mean = (h: { sum: number; count: number }): string =>
    `${h.count} × ${((h.sum / Math.max(1, h.count)) * 1000).toFixed(0)} ms`;
  for (const [name, h] of histogram(text, "controller_runtime_reconcile_time_seconds", "controller"))
    lines.push(`reconciles of ${name} (count × mean) | ${mean(h)}`);
  for (const [name, h] of histogram(text, "workqueue_queue_duration_seconds", "name"))
    lines.push(`queue wait of ${name} (count × mean) | ${mean(h)}`);
  for (const [verb, h] of histogram(text, "rest_client_request_duration_seconds", "verb"))
    lines.push(`API server ${verb} requests (count × mean) | ${mean(h)}`);
  return lines;
}

async function main(): Promise<void> {
  const env = await startEnvironment();
  const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "airlift-loadbench-"));
  const s3 = s3Client(env.minio);
  const client = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  let operator: ChildProcess | undefined;
  try {
    await installCrds(kubeClient(env));
    const plan: LoadPlan = {
      namespace: "load",
      imports,
      syncs,
      bucket: "load",
      s3Endpoint: env.minio.endpoint,
      registry: env.registries.anonymous.host,
    };
    await benchNamespace(client, plan.namespace, env.minio);
    await s3.send(new CreateBucketCommand({ Bucket: plan.bucket }));
    await seedLoad(plan, s3, work);

    // The peer runs once before and once after the operator, so a machine getting busier or quieter weighs on both.
    const peerBefore = await cranePushAll(s3, plan, work);
    const metricsAddr = `127.0.0.1:${await freePort()}`;
    operator = await startBenchOperator({
      kubeconfig: env.kube.kubeconfigPath,
      namespace: plan.namespace,
      extraArgs: ["--watch-namespace", plan.namespace, "--metrics-addr", metricsAddr, ...operatorArgs],
    });
    const loadBefore = load();
    const started = Date.now();
    await createLoad(client, plan);
    const times = await waitLoadReady(client, plan, started);
    const loadAfter = load();
    const rss = peakRssMiB(operator);
    const cpu = cpuSeconds(operator);
    const where = whereTimeWent(await (await fetch(`http://${metricsAddr}/metrics`)).text());
    await stopBenchOperator(operator);

    const peerAfter = await cranePushAll(s3, plan, work);
    const peerMs = (peerBefore.ms + peerAfter.ms) / 2;

    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    const allMs = Math.max(times.importsMs, times.syncsMs);
    console.log(`\n| ${imports} ImageImports (2 MiB) + ${syncs} OciSyncs at once | value |\n| --- | --- |`);
    console.log(`| imports all Ready | ${s(times.importsMs)} |`);
    console.log(`| syncs all Ready | ${s(times.syncsMs)} |`);
    console.log(`| operator peak RSS | ${rss.toFixed(0)} MiB |`);
    console.log(`| operator CPU (user + system, start-up included) | ${cpu.toFixed(1)} s |`);
    console.log(
      `| peer: download + crane push of the same ${imports} archives, ${peerParallel} at a time (run before / after the operator) | ${s(peerMs)} (${s(peerBefore.ms)} / ${s(peerAfter.ms)}) |`,
    );
    console.log(`| all Ready / peer | ${(allMs / peerMs).toFixed(2)}× |`);
    console.log(
      `| load average (1, 5, 15 min) after the first peer / the operator's start / its end / the second peer | ${peerBefore.load} / ${loadBefore} / ${loadAfter} / ${peerAfter.load} |`,
    );
    for (const line of where) console.log(`| ${line} |`);
    if (operatorArgs.length > 0) console.log(`| operator flags | ${operatorArgs.join(" ")} |`);
  } finally {
    if (operator && operator.exitCode === null) operator.kill("SIGKILL");
    s3.destroy();
    await client.close();
    await env.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
