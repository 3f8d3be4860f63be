// `node bench/operator-idle.ts`: the operator's idle cost with BENCH_IDLE (default 1000) resources of each kind, all
// suspended: memory (VmRSS, VmHWM) and CPU (utime + stime from /proc) over BENCH_IDLE_SECONDS (default 30) once the
// caches are synced, every object has been reconciled once and the work queues are empty (the reconciles the first
// ones caused, e.g. after the finalizer was added, are start-up, not idle), plus the API requests it made meanwhile.
// The operator runs as the Deployment runs it: leader election on, metrics served (their scrapes stop before the
// measured window).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../src/kube/rest-client.ts";
import { benchNodeArgs, cpuSeconds } from "./operator-process.ts";
import { forEachBounded } from "../src/transfer/pool.ts";
import { installCrds, kubeClient } from "../test/integration/api-kube-support.ts";
import { airliftArgs, freePort, startKube, loadKubeConfig, type EnvironmentConnection } from "../test/env/index.ts";

const count = Number(process.env.BENCH_IDLE ?? 1000);
const seconds = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const ns = "idle";

/** The sum of every series of `name` in a Prometheus text page. */
function metricSum(page: string, name: string): number {
  let sum = 0;
  for (const line of page.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function scrape(url: string): Promise<string> {
  return (await fetch(url)).text();
}

/** Waits until no key is queued or in work and no key was added for two seconds in a row. */
async function drained(url: string): Promise<void> {
  let adds = -1;
  for (;;) {
    const page = await scrape(url);
    const busy = metricSum(page, "workqueue_depth") + metricSum(page, "controller_runtime_active_workers");
    const added = metricSum(page, "workqueue_adds_total");
    if (busy === 0 && added === adds) return;
    adds = added;
    await sleep(2_000);
  }
}

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

const specs: Record<string, Record<string, unknown>> = {
  imageimports: {
    suspend: true,
    source: {
      s3: { endpoint: "http://198.51.100.1", bucket: "airgap", key: "k.tar", credentialsSecretRef: { name: "s" } },
    },
    destination: { registry: "198.51.100.2", repository: "p/r", tags: ["1"] },
  },
  artifactpulls: {
    suspend: true,
    source: { registry: "198.51.100.2", project: "p", repository: "r", tag: "1" },
    destination: {
      s3: { endpoint: "http://198.51.100.1", bucket: "airgap", prefix: "p/", credentialsSecretRef: { name: "s" } },
    },
  },
  ocisyncs: { suspend: true, oci: { image: "198.51.100.2/p/r:1" } },
};
const kinds: Record<string, string> = {
  imageimports: "ImageImport",
  artifactpulls: "ArtifactPull",
  ocisyncs: "OciSync",
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "airlift-idle-"));
  const kube = await startKube(dir);
  const client = new KubeClient(loadKubeConfig(kube.kubeconfigPath));
  try {
    await installCrds(kubeClient({ kube } as unknown as EnvironmentConnection));
    for (const name of [ns, "airlift-system"])
      await client.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name } } });
    const items = Object.keys(specs).flatMap((plural) =>
      Array.from({ length: count }, (_, i) => ({ plural, name: `${plural.slice(0, 2)}-${i}` })),
    );
    await forEachBounded(items, 16, undefined, async ({ plural, name }) => {
      await client.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}`, {
        method: "POST",
        body: { apiVersion: "airlift.dev/v1alpha1", kind: kinds[plural], metadata: { name }, spec: specs[plural] },
      });
    });
    const metricsAddr = `127.0.0.1:${await freePort()}`;
    const metrics = `http://${metricsAddr}/metrics`;
    const [node, args] = airliftArgs([
      "operator",
      "--kubeconfig",
      kube.kubeconfigPath,
      "--namespace",
      "airlift-system",
      "--metrics-addr",
      metricsAddr,
      "--leader-elect",
      "--health-addr",
      "0",
      "--log-level",
      "warn",
    ]);
    // Leader election on, as the Deployment runs it; Node flags as every bench operator has (operator-process.ts).
    const operator = spawn(node, [...benchNodeArgs(), ...args], { stdio: "ignore" });
    const exited = new Promise((resolve) => operator.once("exit", resolve));
    const pid = operator.pid ?? 0;
    const started = Date.now();
    // Wait until every object carries the Suspended reason (each reconciled once).
    for (;;) {
      let done = 0;
      for (const plural of Object.keys(specs)) {
        const list = await client.request<{ items: { status?: { conditions?: { reason?: string }[] } }[] }>(
          `/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}`,
        );
        done += list.items.filter((i) => i.status?.conditions?.some((c) => c.reason === "Suspended")).length;
      }
      if (done >= 3 * count) break;
      await sleep(1_000);
    }
    const settle = (Date.now() - started) / 1000;
    await drained(metrics);
    const quiet = (Date.now() - started) / 1000;
    const requests0 = metricSum(await scrape(metrics), "rest_client_requests_total");
    const cpu0 = cpuSeconds(operator);
    await sleep(seconds * 1000);
    const cpu = (cpuSeconds(operator) - cpu0) / seconds;
    const mem = memory(pid);
    const page = await scrape(metrics);
    // Less the scrape just made.
    const requests = metricSum(page, "rest_client_requests_total") - requests0;
    const heapMiB = metricSum(page, "nodejs_heap_size_used_bytes") / 2 ** 20;
    operator.kill("SIGTERM");
    await exited;
    console.log(`\n| ${count} suspended resources of each kind | value |\n| --- | --- |`);
    console.log(`| first reconcile of all ${3 * count} objects | ${settle.toFixed(1)} s |`);
    console.log(`| work queues empty | ${quiet.toFixed(1)} s |`);
    console.log(`| idle CPU over ${seconds} s | ${(cpu * 100).toFixed(2)} % of one core |`);
    console.log(
      `| idle API requests over ${seconds} s | ${requests} (${((requests * 60) / seconds).toFixed(0)}/min) |`,
    );
    console.log(`| idle RSS (peak during start-up) | ${mem.rss.toFixed(0)} MiB (${mem.hwm.toFixed(0)} MiB) |`);
    console.log(`| V8 heap used | ${heapMiB.toFixed(0)} MiB |`);
  } finally {
    await client.close();
    await kube.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
