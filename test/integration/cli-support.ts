// Support for the cli-* integration tests: the real `airlift` command as a child process (its output copied into the
// suite's logs), and kubeconfig files for the test API server in the shapes users have them.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot, type EnvironmentConnection } from "../env/index.ts";
import { suiteLog } from "../env/suite-logs.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `airlift args` with exactly `env` (plus PATH), so the machine's KUBECONFIG or HOME never leak in. */
export function airlift(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { node?: string; entry?: string } = {},
): CliRun {
  const entry = options.entry ?? join(repoRoot, "src/cli/main.ts");
  const res = spawnSync(options.node ?? process.execPath, [entry, ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env },
    timeout: 120_000,
  });
  suiteLog("cli").end(`$ airlift ${args.join(" ")}\n${res.stdout}${res.stderr}`);
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** Starts `airlift args` in the background; `output()` is what it wrote so far, `stop()` sends SIGINT and waits. */
export function startAirlift(
  args: string[],
  env: NodeJS.ProcessEnv,
): { output: () => string; errors: () => string; stop: () => Promise<number> } {
  const child = spawn(process.execPath, [join(repoRoot, "src/cli/main.ts"), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))),
  );
  return {
    output: () => out,
    errors: () => err,
    stop: async () => {
      child.kill("SIGINT");
      const code = await exited;
      suiteLog("cli").end(`$ airlift ${args.join(" ")}\n${out}${err}`);
      return code;
    },
  };
}

type Named = Record<string, unknown> & { name: string };

/** A kubeconfig document from its parts (JSON is YAML). */
export function writeKubeconfig(
  path: string,
  parts: { clusters?: Named[]; users?: Named[]; contexts?: Named[]; currentContext?: string },
): string {
  mkdirSync(dirname(path), { recursive: true });
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: parts.clusters ?? [],
    users: parts.users ?? [],
    contexts: parts.contexts ?? [],
    "current-context": parts.currentContext ?? "",
  };
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return path;
}

/** The test API server as a kubeconfig cluster entry. */
export function testCluster(env: EnvironmentConnection, name: string): Named {
  return { name, cluster: { server: env.kube.server, "certificate-authority": env.kube.caFile } };
}

/** The admin token as a kubeconfig user entry. */
export function adminUser(env: EnvironmentConnection, name: string): Named {
  return { name, user: { token: env.kube.adminToken } };
}

/** A context entry. */
export function context(name: string, cluster: string, user: string, namespace?: string): Named {
  return { name, context: { cluster, user, ...(namespace ? { namespace } : {}) } };
}

/** `text`'s lines, without the final newline's empty one. */
export function lines(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}

/** A kubeconfig in a fresh HOME whose current context points at the test API server with namespace `namespace`. */
export function homeWithKubeconfig(env: EnvironmentConnection, home: string, namespace: string): string {
  writeKubeconfig(join(home, ".kube", "config"), {
    clusters: [testCluster(env, "test")],
    users: [adminUser(env, "admin")],
    contexts: [context("home-ctx", "test", "admin", namespace)],
    currentContext: "home-ctx",
  });
  return home;
}
