// Runs a command under GNU time and reports its wall time, CPU-seconds (user + system) and peak RSS.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolsPathEnv } from "../test/env/tools.ts";

export interface Measurement {
  label: string;
  wallSeconds: number;
  /** User + system CPU-seconds of the contender's own process (in-process steps: this process's). */
  cpuSeconds: number;
  peakRssMiB: number;
  /** Bytes the registry stores for the image's layers, when known. */
  storedBytes?: number;
}

/** Wall time, CPU (GNU time's %U + %S) and peak RSS (%M, in KiB) of `command args`; throws with its stderr when it fails. */
export async function measure(
  label: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), "airlift-bench-time-"));
  const out = join(dir, "time.txt");
  const started = process.hrtime.bigint();
  const child = spawn("/usr/bin/time", ["-f", "%U %S %M", "-o", out, command, ...args], {
    env: { ...process.env, PATH: toolsPathEnv(), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const code = await new Promise<number>((resolveCode, reject) => {
    child.once("error", reject);
    child.once("close", (c) => resolveCode(c ?? 1));
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${label}: ${command} exited ${code}\n${stderr}`);
  const [user, system, kib] = (readFileSync(out, "utf8").trim().split("\n").pop() ?? "").split(" ").map(Number);
  rmSync(dir, { recursive: true, force: true });
  return { label, wallSeconds, cpuSeconds: (user ?? NaN) + (system ?? NaN), peakRssMiB: (kib ?? NaN) / 1024 };
}

/** Wall time and this process's CPU over an in-process step. */
export async function timeIt(label: string, step: () => Promise<void>): Promise<Measurement> {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await step();
  const used = process.cpuUsage(cpu);
  return {
    label,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakRssMiB: Number.NaN,
  };
}
