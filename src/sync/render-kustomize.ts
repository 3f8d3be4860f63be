// Runs the real `kustomize build` as a bounded child process, as Config Sync's hydration does: a time limit, an
// output cap, the child's memory bounded (GOMEMLIMIT plus an RSS watchdog that kills it), LoadRestrictionsRootOnly,
// an empty PATH (kustomize cannot exec git, helm or a plugin) and the kustomization checked beforehand
// (kustomize-check.ts). Its stderr, kustomize's own message with file and field, becomes the RenderFailed message.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { LoadError } from "./errors.ts";
import { checkKustomization } from "./kustomize-check.ts";

/** Bounds of one `kustomize build`. */
export interface KustomizeLimits {
  /**
   * Wall-clock limit (default 180 s): kustomize spends about 15 s of CPU on a 2,000-object overlay (bench/), and a
   * busy node stretches that several-fold; a limit that kills a legitimate build would stall the sync for good.
   */
  timeoutMs: number;
  /** Largest output, in bytes (default 64 MiB, the loader's total cap). */
  maxOutputBytes: number;
  /** Largest resident memory of the child, in bytes (default 512 MiB). */
  maxMemoryBytes: number;
}

/** Defaults of KustomizeLimits. */
export const DEFAULT_KUSTOMIZE_LIMITS: Readonly<KustomizeLimits> = {
  timeoutMs: 180_000,
  maxOutputBytes: 64 * 1024 * 1024,
  maxMemoryBytes: 512 * 1024 * 1024,
};

/** One build. */
export interface KustomizeBuild {
  /** The kustomize binary. */
  binary: string;
  /** The extraction root: the only files the build may read. */
  root: string;
  /** The folder holding the kustomization (absolute, inside root). */
  dir: string;
  limits?: Partial<KustomizeLimits>;
  signal?: AbortSignal;
}

/** Checks the kustomization, then returns what `kustomize build` prints; throws LoadError RenderRefused/RenderFailed. */
export async function kustomizeBuild(build: KustomizeBuild): Promise<string> {
  await checkKustomization(build.root, build.dir);
  const limits = { ...DEFAULT_KUSTOMIZE_LIMITS, ...build.limits };
  return await runChild(build, limits);
}

function runChild(build: KustomizeBuild, limits: KustomizeLimits): Promise<string> {
  const where = relative(build.root, build.dir) || ".";
  const args = ["build", build.dir, "--load-restrictor", "LoadRestrictionsRootOnly"];
  const env = { PATH: "", HOME: build.root, GOMEMLIMIT: String(Math.floor(limits.maxMemoryBytes * 0.75)) };
  return new Promise((done, fail) => {
    const child = spawn(build.binary, args, { cwd: build.root, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let killed: string | undefined;
    const kill = (why: string): void => {
      killed ??= why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => kill(`took longer than ${limits.timeoutMs} ms`), limits.timeoutMs);
    const watchdog = setInterval(() => {
      void residentBytes(child.pid).then((rss) => {
        if (rss > limits.maxMemoryBytes) kill(`used more than ${limits.maxMemoryBytes} bytes of memory`);
      });
    }, 100);
    const onAbort = (): void => kill("aborted");
    build.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxOutputBytes) kill(`printed more than ${limits.maxOutputBytes} bytes`);
      else out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 64) err.push(chunk);
    });
    child.on("error", (e) => {
      cleanup();
      fail(new LoadError("KustomizeUnavailable", where, `cannot run kustomize ${build.binary}: ${e.message}`));
    });
    child.on("close", (code) => {
      cleanup();
      if (build.signal?.aborted) return fail(build.signal.reason as Error);
      if (killed !== undefined)
        return fail(new LoadError("RenderFailed", where, `kustomize build ${where} stopped: it ${killed}`));
      if (code !== 0) {
        const message = Buffer.concat(err).toString("utf8").trim().slice(0, 2000) || `exit code ${String(code)}`;
        return fail(new LoadError("RenderFailed", where, `kustomize build ${where}: ${message}`));
      }
      done(Buffer.concat(out, size).toString("utf8"));
    });
    function cleanup(): void {
      clearTimeout(timer);
      clearInterval(watchdog);
      build.signal?.removeEventListener("abort", onAbort);
    }
  });
}

/** The child's resident set size from /proc (0 when it is gone or /proc is not there). */
async function residentBytes(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}
