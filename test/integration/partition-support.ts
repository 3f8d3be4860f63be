// Helpers of the silent-partition fault tests (faults-partition-*.test.ts): a real operator process whose log lines
// are kept with their times, toxiproxy's `timeout` toxic (timeout 0: nothing passes in either direction, nothing is
// reset or closed) as the partition, and the kernel's own view of the operator's connections through a proxy (`ss`),
// which tells when the operator gave up a connection without trusting its log.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { airliftArgs, repoRoot, run, writeTokenKubeconfig, type KubeConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import type { Toxiproxy } from "../env/toxiproxy.ts";

/** One JSON log line of the operator and when the test read it. */
export interface LogEntry {
  at: number;
  msg: string;
  [field: string]: unknown;
}

/** An `airlift operator` process; its log is kept in memory and in the suite log. */
export class OperatorProcess {
  readonly log: LogEntry[] = [];
  readonly exits: { code: number | null; at: number }[] = [];
  readonly name: string;
  readonly #args: string[];
  #proc: ChildProcess | undefined;

  constructor(name: string, args: string[]) {
    this.name = name;
    this.#args = args;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  get running(): boolean {
    return !!this.#proc && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  /** Starts the process; resolves once it runs (a standby of leader election too). */
  async start(): Promise<void> {
    const [cmd, args] = airliftArgs(["operator", ...this.#args, "--log-level", "debug"]);
    const proc = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    this.#proc = proc;
    teeToSuiteLog(`faults-partition-${this.name}`, proc.stdout, proc.stderr);
    const started = new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout }).on("line", (line) => {
        const entry = parseLine(line);
        if (!entry) return;
        this.log.push(entry);
        if (entry.msg === "operator started") resolve();
      });
      proc.once("exit", (code) =>
        reject(new Error(`operator ${this.name} exited ${code} before its controllers started`)),
      );
    });
    proc.once("exit", (code) => this.exits.push({ code, at: Date.now() }));
    await started;
  }

  /** Log entries since `t` whose message is `msg`. */
  since(t: number, msg: string): LogEntry[] {
    return this.log.filter((e) => e.at >= t && e.msg === msg);
  }

  async stop(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

function parseLine(line: string): LogEntry | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: unknown };
    return typeof entry.msg === "string" ? { ...entry, msg: entry.msg, at: Date.now() } : undefined;
  } catch {
    return undefined;
  }
}

/** The flags of an operator confined to namespace `ns` whose API server is reached through `kubeconfig`. */
export function partitionOperatorArgs(kubeconfig: string, ns: string, extra: readonly string[] = []): string[] {
  return [
    "--kubeconfig",
    kubeconfig,
    "--namespace",
    ns,
    "--watch-namespace",
    ns,
    "--allow-loopback-endpoints",
    "--metrics-addr",
    "0",
    "--health-addr",
    "0",
    ...extra,
  ];
}

/** The port of a proxy's listen address (host:port). */
export const portOf = (hostPort: string): number => Number(hostPort.split(":").pop());

/** A proxy `name` in front of the API server, an admin kubeconfig through it (at `path`) and the proxy's port. */
export async function proxiedApi(
  toxi: Toxiproxy,
  name: string,
  kube: Pick<KubeConnection, "server" | "caFile" | "adminToken">,
  path: string,
): Promise<{ kubeconfig: string; port: number }> {
  const listen = await toxi.proxy(name, new URL(kube.server).host);
  const kubeconfig = writeTokenKubeconfig(
    path,
    { server: `https://${listen}`, caFile: kube.caFile },
    "airlift-admin",
    kube.adminToken,
  );
  return { kubeconfig, port: portOf(listen) };
}

const SILENT = ["silent-up", "silent-down"] as const;

/** Cuts `proxy` silently: toxiproxy's timeout toxic with timeout 0 in both directions. Resolves to when. */
export async function silence(toxi: Toxiproxy, proxy: string): Promise<number> {
  await Promise.all(
    (["upstream", "downstream"] as const).map((stream, i) =>
      toxi.addToxic(proxy, { name: SILENT[i]!, type: "timeout", stream, attributes: { timeout: 0 } }),
    ),
  );
  return Date.now();
}

/** Ends the silent partition of `proxy`. */
export async function heal(toxi: Toxiproxy, proxy: string): Promise<void> {
  await Promise.all(SILENT.map((name) => toxi.removeToxic(proxy, name)));
}

/** One established TCP connection to a proxy, as the kernel counts it. */
export interface Connection {
  /** The client side's local port: it names the connection. */
  localPort: number;
  bytesAcked: number;
  bytesReceived: number;
}

/** The established connections to 127.0.0.1:`port` (the clients' side: the proxy's own side has it as local port). */
export async function connectionsTo(port: number): Promise<Map<number, Connection>> {
  const { stdout } = await run("ss", ["-tniH", "state", "established", "dst", `127.0.0.1:${port}`]);
  const out = new Map<number, Connection>();
  let current: Connection | undefined;
  for (const line of stdout.split("\n")) {
    const addr = /^\S+\s+\S+\s+127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)/.exec(line.trim());
    if (addr && Number(addr[2]) === port) {
      current = { localPort: Number(addr[1]), bytesAcked: 0, bytesReceived: 0 };
      out.set(current.localPort, current);
      continue;
    }
    if (!current) continue;
    current.bytesAcked = Number(/bytes_acked:(\d+)/.exec(line)?.[1] ?? current.bytesAcked);
    current.bytesReceived = Number(/bytes_received:(\d+)/.exec(line)?.[1] ?? current.bytesReceived);
  }
  return out;
}

/** The connections to `port` that moved bytes (either way) between two looks `ms` apart. */
export async function activeConnections(port: number, ms = 500): Promise<number[]> {
  const before = await connectionsTo(port);
  await new Promise((r) => setTimeout(r, ms));
  const after = await connectionsTo(port);
  return [...after.values()]
    .filter((c) => {
      const b = before.get(c.localPort);
      return b && (b.bytesAcked !== c.bytesAcked || b.bytesReceived !== c.bytesReceived);
    })
    .map((c) => c.localPort);
}

/** When a connection went: ms after the cut, and ms after the last byte it moved (either way). */
export interface Closed {
  afterCut: number;
  afterLastByte: number;
}

/**
 * Waits until none of `ports` (connections to `port`) is established any more, or `timeoutMs` after `from` (the cut);
 * resolves to when each one went. A proxy still takes some bytes after the cut (its buffers fill first), so the
 * silence a connection saw starts at its last byte, which is also recorded.
 */
export async function closedWithin(
  port: number,
  ports: readonly number[],
  from: number,
  timeoutMs: number,
): Promise<Map<number, Closed>> {
  const gone = new Map<number, Closed>();
  const moved = new Map<number, { at: number; bytes: number }>(ports.map((p) => [p, { at: from, bytes: -1 }]));
  const deadline = from + timeoutMs;
  while (gone.size < ports.length && Date.now() < deadline) {
    const open = await connectionsTo(port);
    const now = Date.now();
    for (const p of ports) {
      if (gone.has(p)) continue;
      const c = open.get(p);
      const last = moved.get(p)!;
      if (!c) gone.set(p, { afterCut: now - from, afterLastByte: now - last.at });
      else if (c.bytesAcked + c.bytesReceived !== last.bytes) {
        // The first look only takes the counters in; it is not a byte moved.
        moved.set(p, { at: last.bytes < 0 ? last.at : now, bytes: c.bytesAcked + c.bytesReceived });
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return gone;
}
