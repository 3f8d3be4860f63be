// Child processes of the test environment: logs captured to a file, readiness polled, and every child
// killed when the test process ends, even when a test fails or the runner is interrupted.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const running = new Set<ChildProcess>();

/** SIGKILLs every child still running, synchronously (teardown under a runner that may exit at its first await). */
export function killAll(): void {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Last lines of the log, for error messages. */
  tail(lines?: number): string;
  exited(): boolean;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: StartOptions = {},
): ManagedProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exitedFlag = false;
  const exitPromise = new Promise<void>((resolveExit) => {
    child.once("exit", () => {
      exitedFlag = true;
      running.delete(child);
      resolveExit();
    });
    child.once("error", () => {
      exitedFlag = true;
      running.delete(child);
      resolveExit();
    });
  });
  const tail = (lines = 30): string => {
    try {
      return readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  };
  return {
    name,
    logFile,
    child,
    tail,
    exited: () => exitedFlag,
    async stop(graceMs = 5_000): Promise<void> {
      if (!exitedFlag) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

/** Polls `check` until it returns true; fails with the process log when the process dies or time runs out. */
export async function waitUntil(
  proc: ManagedProcess,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited()) throw new Error(`${proc.name} exited before ${what}; log ${proc.logFile}:\n${proc.tail()}`);
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline)
      throw new Error(`${proc.name}: timed out waiting for ${what}; log ${proc.logFile}:\n${proc.tail()}`);
    await sleep(100);
  }
}
