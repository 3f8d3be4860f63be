// `npm run bench:sync`: an OciSync's first sync of N ConfigMaps in 10 namespaces (plus the 10 Namespaces) by a real
// `airlift operator` process, against `kubectl apply --server-side` of the same files (kubectl built from the same
// Kubernetes module as the test API server) in the same run; then the operator's steady state with the image
// unchanged. Prints, per N: wall time and its ratio, peak RSS (kubectl: GNU time; the operator: VmHWM of a fresh
// process per N), the API requests each made by verb and resource (the API server's own counters), and the
// operator's steady-state CPU and requests per minute. BENCH_SYNC_SIZES (default 2000,10000,50000),
// BENCH_SYNC_STEADY_SECONDS (default 60), BENCH_SYNC_PERIOD (the OciSync period, default 15s),
// BENCH_SYNC_KUBECTL_MAX (default 10000: larger sizes run airlift alone, the 50,000 run has no kubectl peer),
// BENCH_OPERATOR_HEAP_MIB (default 256, the heap ceiling of the Deployment's 512Mi: operator-process.ts).
// BENCH_SYNC_VALIDATION (default Server,Schema: the OciSync's spec.validation, each mode syncing its own copy).
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeClient } from "../src/kube/rest-client.ts";
import { installCrds, kubeClient } from "../test/integration/api-kube-support.ts";
import {
  apiRequestCounts,
  countsSince,
  describeCounts,
  type RequestCounts,
} from "../test/integration/apiserver-requests.ts";
import {
  loadKubeConfig,
  run,
  startKube,
  startRegistry,
  toolPath,
  type EnvironmentConnection,
} from "../test/env/index.ts";
import { startBenchOperator } from "./operator-process.ts";
import { measure } from "./measure.ts";

const sizes = (process.env.BENCH_SYNC_SIZES ?? "2000,10000,50000").split(",").map(Number);
const steadySeconds = Number(process.env.BENCH_SYNC_STEADY_SECONDS ?? 60);
const period = process.env.BENCH_SYNC_PERIOD ?? "15s";
const kubectlMax = Number(process.env.BENCH_SYNC_KUBECTL_MAX ?? 10_000);
// spec.validation of the OciSync: each mode syncs its own copy of the set, against the same kubectl run.
const validations = (process.env.BENCH_SYNC_VALIDATION ?? "Server,Schema").split(",") as ("Server" | "Schema")[];

/** Writes the 10 Namespaces and `n` ConfigMaps (100 files) under `dir`; names start with `prefix`. */
function writeSet(dir: string, prefix: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  const nss = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
  writeFileSync(
    join(dir, "00-namespaces.yaml"),
    nss.map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`).join("---\n"),
  );
  for (let f = 0; f < 100; f++) {
    const docs: string[] = [];
    for (let i = f; i < n; i += 100)
      docs.push(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ${nss[i % 10]}\ndata:\n  index: "${i}"\n  payload: "${"x".repeat(64)}"\n`,
      );
    writeFileSync(join(dir, `cms-${String(f).padStart(3, "0")}.yaml`), docs.join("---\n"));
  }
}

function procStatus(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function waitReady(client: KubeClient, ns: string, name: string): Promise<void> {
  for (;;) {
    const s = await client.request<{
      metadata: { generation?: number };
      status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string }[] };
    }>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/${name}`);
    const ready = s.status?.conditions?.find((c) => c.type === "Ready");
    const stalled = s.status?.conditions?.find((c) => c.type === "Stalled" && c.status === "True");
    if (stalled) throw new Error(`${name} stalled: ${JSON.stringify(s.status?.conditions)}`);
    if (ready?.status === "True" && s.status?.observedGeneration === s.metadata.generation) return;
    await sleep(250);
  }
}

interface Row {
  n: number;
  validation: "Server" | "Schema";
  /** Undefined above BENCH_SYNC_KUBECTL_MAX. */
  kubectl?: { wall: number; rss: number; requests: RequestCounts };
  airlift: { wall: number; rss: number; requests: RequestCounts };
  steady: { cpuPercent: number; requestsPerMinute: number; requests: RequestCounts };
}

interface Bench {
  kubeconfig: string;
  client: KubeClient;
  registry: string;
  work: string;
}

async function kubectlRun(b: Bench, n: number): Promise<NonNullable<Row["kubectl"]>> {
  const dir = join(b.work, `kubectl-${n}`);
  writeSet(dir, `k${n}`, n);
  const before = await apiRequestCounts(b.kubeconfig);
  const m = await measure("kubectl apply --server-side", toolPath("kubectl"), [
    "--kubeconfig",
    b.kubeconfig,
    "apply",
    "--server-side",
    "--field-manager",
    "bench",
    "-f",
    dir,
  ]);
  const requests = countsSince(before, await apiRequestCounts(b.kubeconfig));
  rmSync(dir, { recursive: true, force: true });
  return { wall: m.wallSeconds, rss: m.peakRssMiB, requests };
}

function startOperator(b: Bench, ns: string): Promise<ChildProcess> {
  return startBenchOperator({
    kubeconfig: b.kubeconfig,
    namespace: ns,
    extraArgs: ["--watch-namespace", ns, "--work-dir", join(b.work, `op-${ns}`)],
    stdio: ["ignore", "ignore", "inherit"],
    settleMs: 3_000, // caches sync, leadership
  });
}

async function airliftRun(
  b: Bench,
  n: number,
  validation: Row["validation"],
): Promise<Pick<Row, "airlift" | "steady">> {
  const tag = `${n}-${validation.toLowerCase()}`;
  const dir = join(b.work, `airlift-${tag}`);
  writeSet(dir, `a${tag}`, n);
  const tarball = join(b.work, `airlift-${tag}.tar`);
  await run("tar", ["-C", dir, "-cf", tarball, "."]);
  const ref = `${b.registry}/bench/sync${tag}:v1`;
  await run(toolPath("crane"), ["append", "--insecure", "-f", tarball, "-t", ref]);
  rmSync(dir, { recursive: true, force: true });
  const ns = `op-${tag}`;
  await b.client.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
  const operator = await startOperator(b, ns);
  const pid = operator.pid ?? 0;
  try {
    const before = await apiRequestCounts(b.kubeconfig);
    const started = performance.now();
    await b.client.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs`, {
      method: "POST",
      body: {
        apiVersion: "airlift.dev/v1alpha1",
        kind: "OciSync",
        metadata: { name: "bench" },
        spec: { oci: { image: ref, period, plainHTTP: true }, timeout: "30m", validation },
      },
    });
    await waitReady(b.client, ns, "bench");
    const wall = (performance.now() - started) / 1000;
    const requests = countsSince(before, await apiRequestCounts(b.kubeconfig));
    const rss = procStatus(pid).hwm;
    await sleep(5_000);
    const quiet = await apiRequestCounts(b.kubeconfig);
    const cpu0 = cpuSeconds(pid);
    await sleep(steadySeconds * 1000);
    const cpu = cpuSeconds(pid) - cpu0;
    const steadyRequests = countsSince(quiet, await apiRequestCounts(b.kubeconfig));
    // The two kubectl calls that read the counters are not the operator's.
    const total = [...steadyRequests.values()].reduce((a, c) => a + c, 0);
    return {
      airlift: { wall, rss, requests },
      steady: {
        cpuPercent: (cpu / steadySeconds) * 100,
        requestsPerMinute: (total / steadySeconds) * 60,
        requests: steadyRequests,
      },
    };
  } finally {
    operator.kill("SIGTERM");
    await new Promise((r) => operator.once("exit", r));
  }
}

function printRows(rows: readonly Row[]): void {
  console.log(
    "\n| N ConfigMaps (+10 Namespaces) | spec.validation | kubectl SSA wall | airlift first sync | airlift / kubectl |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  for (const r of rows)
    console.log(
      `| ${r.n} | ${r.validation} | ${r.kubectl ? `${r.kubectl.wall.toFixed(1)} s` : "—"} | ${r.airlift.wall.toFixed(1)} s | ${r.kubectl ? `${(r.airlift.wall / r.kubectl.wall).toFixed(2)}×` : "—"} |`,
    );
  console.log(
    "\n| N | spec.validation | kubectl peak RSS | operator peak RSS | steady CPU (% of a core) | steady requests/min |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of rows)
    console.log(
      `| ${r.n} | ${r.validation} | ${r.kubectl ? `${r.kubectl.rss.toFixed(0)} MiB` : "—"} | ${r.airlift.rss.toFixed(0)} MiB | ${r.steady.cpuPercent.toFixed(2)} % | ${r.steady.requestsPerMinute.toFixed(1)} |`,
    );
  console.log("\nAPI requests (the API server's counters, by verb and resource):");
  for (const r of rows) {
    if (r.kubectl) console.log(`- N=${r.n} kubectl: ${describeCounts(r.kubectl.requests)}`);
    console.log(`- N=${r.n} airlift (${r.validation}) first sync: ${describeCounts(r.airlift.requests)}`);
    console.log(
      `- N=${r.n} airlift (${r.validation}) steady ${steadySeconds} s (period ${period}; includes the bench's 2 counter reads): ${describeCounts(r.steady.requests) || "none"}`,
    );
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "airlift-syncbench-"));
  const kube = await startKube(join(work, "kube"));
  const registry = await startRegistry(join(work, "registry"), "anonymous");
  const client = new KubeClient(loadKubeConfig(kube.kubeconfigPath));
  const rows: Row[] = [];
  try {
    await installCrds(kubeClient({ kube } as unknown as EnvironmentConnection));
    const b: Bench = { kubeconfig: kube.kubeconfigPath, client, registry: registry.host, work };
    for (const n of sizes) {
      const kubectl = n <= kubectlMax ? await kubectlRun(b, n) : undefined;
      for (const validation of validations) {
        const airlift = await airliftRun(b, n, validation);
        rows.push({ n, validation, kubectl, ...airlift });
        console.error(
          `# N=${n}: kubectl ${kubectl ? `${kubectl.wall.toFixed(1)} s` : "skipped"}, airlift (${validation}) ${airlift.airlift.wall.toFixed(1)} s`,
        );
      }
    }
    printRows(rows);
  } finally {
    await client.close();
    await registry.stop();
    await kube.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
