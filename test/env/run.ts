// Runs a command line tool (crane, oras, skopeo, helm) with the cache folder on PATH.
import { spawn } from "node:child_process";
import { toolsPathEnv } from "./tools.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  cwd?: string;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, PATH: toolsPathEnv(), ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 300_000,
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
  // A command that exits without reading its input (tar, say) must not turn into an uncaught EPIPE.
  child.stdin.on("error", () => undefined);
  child.stdin.end(options.input ?? "");
  const code = await new Promise<number>((resolveCode, reject) => {
    child.once("error", reject);
    child.once("close", (exitCode) => resolveCode(exitCode ?? 1));
  });
  const result = { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
  if (code !== 0 && !options.allowFailure) {
    throw new Error(`${command} ${args.join(" ")} exited ${code}:\n${result.stderr || result.stdout}`);
  }
  return result;
}
