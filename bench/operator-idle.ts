// `node bench/operator-idle.ts`: the operator's idle cost with BENCH_IDLE (default 1000) resources of each kind, all
// suspended: memory (VmRSS, VmHWM) and CPU (utime + stime from /proc) over BENCH_IDLE_SECONDS (default 30) once the
// caches are synced and every object has been reconciled once.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../src/kube/rest-client.ts";
import { forEachBounded } from "../src/transfer/pool.ts";
import { installCrds, kubeClient } from "../test/integration/api-kube-support.ts";
import { airliftArgs, startKube, loadKubeConfig, type EnvironmentConnection } from "../test/env/index.ts";

const count = Number(process.env.BENCH_IDLE ?? 1000);
const seconds = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const ns = "idle";

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
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
  const kube = await startKube(mkdtempSync(join(tmpdir(), "airlift-idle-")));
  const client = new KubeClient(loadKubeConfig(kube.kubeconfigPath));
  try {
    await installCrds(kubeClient({ kube } as unknown as EnvironmentConnection));
    await client.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const items = Object.keys(specs).flatMap((plural) =>
      Array.from({ length: count }, (_, i) => ({ plural, name: `${plural.slice(0, 2)}-${i}` })),
    );
    await forEachBounded(items, 16, undefined, async ({ plural, name }) => {
      await client.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}`, {
        method: "POST",
        body: { apiVersion: "airlift.dev/v1alpha1", kind: kinds[plural], metadata: { name }, spec: specs[plural] },
      });
    });
    const operator = spawn(
      ...airliftArgs([
        "operator",
        "--kubeconfig",
        kube.kubeconfigPath,
        "--namespace",
        "airlift-system",
        "--metrics-addr",
        "0",
        "--health-addr",
        "0",
        "--log-level",
        "warn",
      ]),
      { stdio: "ignore" },
    );
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
    const cpu0 = cpuSeconds(pid);
    await sleep(seconds * 1000);
    const cpu = (cpuSeconds(pid) - cpu0) / seconds;
    const mem = memory(pid);
    operator.kill("SIGTERM");
    console.log(`\n| ${count} suspended resources of each kind | value |\n| --- | --- |`);
    console.log(`| first reconcile of all ${3 * count} objects | ${settle.toFixed(1)} s |`);
    console.log(`| idle CPU over ${seconds} s | ${(cpu * 100).toFixed(1)} % of one core |`);
    console.log(`| idle RSS (peak during start-up) | ${mem.rss.toFixed(0)} MiB (${mem.hwm.toFixed(0)} MiB) |`);
  } finally {
    await client.close();
    await kube.stop();
  }
}

await main();
