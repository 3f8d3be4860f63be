// The operator as the benchmarks run it: `airlift operator` as a child process on the bench's API server, one
// namespace, loopback endpoints allowed (the bench servers listen on 127.0.0.1), quiet logs; plus its peak RSS and a
// clean stop, and the namespace with the bucket keys. One place for what operator-import.ts, drop-box.ts,
// operator-load.ts, operator-idle.ts and sync-scale.ts start.
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../src/kube/rest-client.ts";
import { airliftArgs, freePort, type EnvironmentConnection } from "../test/env/index.ts";

/** How to start it. */
export interface BenchOperatorOptions {
  kubeconfig: string;
  namespace: string;
  /** More flags (`--workers`, `--watch-namespace`, `--work-dir` ...). */
  extraArgs?: string[];
  stdio?: StdioOptions;
  /** Node flags before the script (benchNodeArgs adds the heap ceiling and BENCH_OPERATOR_NODE_ARGS). */
  nodeArgs?: string[];
  /** Wait after the spawn for its caches and leadership (default 2 s). */
  settleMs?: number;
}

/**
 * The Node flags of a bench operator: the heap ceiling the operator has in its Deployment, then
 * BENCH_OPERATOR_NODE_ARGS (`--cpu-prof` ...). Node 24 sizes V8's heap from the cgroup memory limit (measured: under
 * a 512 MiB memory cgroup, `node --max-semi-space-size=2` reports a heap_size_limit of 262 MiB, as
 * `--max-old-space-size=256` does without one). A bench process has no such limit, so without the flag V8 would size
 * the heap from the machine's RAM (4 GiB on 24 GiB) and defer collection far beyond what the pod would ever hold.
 * BENCH_OPERATOR_HEAP_MIB (default 256; 0: V8's own).
 */
export function benchNodeArgs(): string[] {
  const heapMiB = Number(process.env.BENCH_OPERATOR_HEAP_MIB ?? 256);
  const extra = process.env.BENCH_OPERATOR_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return [...(heapMiB > 0 ? [`--max-old-space-size=${heapMiB}`] : []), ...extra];
}

/** Starts the operator (with benchNodeArgs) and waits for it to settle. */
export async function startBenchOperator(options: BenchOperatorOptions): Promise<ChildProcess> {
  const [node, nodeArgs] = airliftArgs([
    "operator",
    "--kubeconfig",
    options.kubeconfig,
    "--namespace",
    options.namespace,
    "--metrics-addr",
    `127.0.0.1:${await freePort()}`,
    "--health-addr",
    "0",
    "--log-level",
    "warn",
    "--allow-loopback-endpoints",
    ...(options.extraArgs ?? []),
  ]);
  const operator = spawn(node, [...(options.nodeArgs ?? []), ...benchNodeArgs(), ...nodeArgs], {
    stdio: options.stdio ?? "ignore",
  });
  await sleep(options.settleMs ?? 2_000);
  return operator;
}

/** The process's peak resident set so far (VmHWM), in MiB. */
export function peakRssMiB(process: ChildProcess): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${process.pid}/status`, "utf8"));
  return Number(hwm?.[1] ?? 0) / 1024;
}

/** The process's CPU-seconds so far (user + system, from /proc), less sensitive to a busy machine than wall time. */
export function cpuSeconds(process: ChildProcess): number {
  const fields = readFileSync(`/proc/${process.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** SIGTERM, and the exit. */
export async function stopBenchOperator(process: ChildProcess): Promise<void> {
  if (process.exitCode !== null) return;
  const exited = new Promise((resolve) => process.once("exit", resolve));
  process.kill("SIGTERM");
  await exited;
}

/** The operator's namespace with the bucket keys in Secret `keys` (GDC's key names), as the benches' objects use. */
export async function benchNamespace(
  client: KubeClient,
  ns: string,
  minio: EnvironmentConnection["minio"],
): Promise<void> {
  await client.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
  await client.request(`/api/v1/namespaces/${ns}/secrets`, {
    method: "POST",
    body: {
      metadata: { name: "keys" },
      stringData: { "access-key-id": minio.accessKeyId, "secret-access-key": minio.secretAccessKey },
    },
  });
}
