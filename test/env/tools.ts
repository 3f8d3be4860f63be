// Where the test environment's binaries live: one cache folder filled by scripts/install-tools.sh.
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const cacheDir = process.env.AIRLIFT_CACHE ?? join(repoRoot, ".cache");
export const cacheBin = join(cacheDir, "bin");

export type ToolName =
  | "kube-apiserver"
  | "etcd"
  | "minio"
  | "crane"
  | "oras"
  | "helm"
  | "toxiproxy-server"
  | "skopeo"
  | "docker-registry"
  | "kustomize"
  | "kubectl"
  | "cosign";

const systemTools: Partial<Record<ToolName, string>> = {
  skopeo: "/usr/bin/skopeo",
  "docker-registry": "/usr/bin/docker-registry",
};

/** Absolute path of a tool; throws with the command that installs it when it is missing. */
export function toolPath(name: ToolName): string {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets && (name === "kube-apiserver" || name === "etcd") && existsSync(join(assets, name))) {
    return join(assets, name);
  }
  const candidate = systemTools[name] ?? join(cacheBin, name);
  if (!existsSync(candidate)) {
    throw new Error(`test tool ${name} is missing at ${candidate}: run "npm run setup" (scripts/install-tools.sh)`);
  }
  return candidate;
}

/** PATH with the cache folder first, so tests can run crane, oras, skopeo and helm by name. */
export function toolsPathEnv(): string {
  return [cacheBin, process.env.PATH ?? ""].join(delimiter);
}

/**
 * How to run the airlift CLI as users get it: this Node, with the flags of bin/airlift.mjs's shebang and of the
 * Dockerfile's ENTRYPOINT (keep the three alike).
 */
export function airliftArgs(args: readonly string[]): [string, string[]] {
  return [process.execPath, ["--max-semi-space-size=2", join(repoRoot, "bin/airlift.mjs"), ...args]];
}
