// The whole test environment in one call: control plane, the three registry variants and MinIO,
// started in parallel; `stop()` takes every process down.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKube, type KubeConnection, type KubeEnv } from "./kube.ts";
import { startMinio, type MinioConnection, type MinioEnv } from "./minio.ts";
import { killAll } from "./process.ts";
import { startRegistry, type RegistryConnection, type RegistryEnv, type RegistryVariant } from "./registry.ts";

export interface EnvironmentConnection {
  workDir: string;
  kube: KubeConnection;
  registries: Record<RegistryVariant, RegistryConnection>;
  minio: MinioConnection;
}

export interface Environment extends EnvironmentConnection {
  kubeEnv: KubeEnv;
  stop(): Promise<void>;
  /** Kills every process and removes the folder synchronously: for teardowns the runner may cut short. */
  stopNow(): void;
}

function connectionOf<T extends object>(env: T): T {
  // Only plain data crosses process boundaries (functions and live handles are dropped).
  return JSON.parse(JSON.stringify(env)) as T;
}

export async function startEnvironment(workDir = mkdtempSync(join(tmpdir(), "airlift-env-"))): Promise<Environment> {
  const started: { stop(): Promise<void> }[] = [];
  const track = async <T extends { stop(): Promise<void> }>(p: Promise<T>): Promise<T> => {
    const value = await p;
    started.push(value);
    return value;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  try {
    const [kubeEnv, anonymous, basicTls, token, minio] = await Promise.all([
      track<KubeEnv>(startKube(join(workDir, "kube"))),
      track<RegistryEnv>(startRegistry(join(workDir, "registry-anonymous"), "anonymous")),
      track<RegistryEnv>(startRegistry(join(workDir, "registry-basic-tls"), "basic-tls")),
      track<RegistryEnv>(startRegistry(join(workDir, "registry-token"), "token")),
      track<MinioEnv>(startMinio(join(workDir, "minio"))),
    ]);
    return {
      workDir,
      kubeEnv,
      kube: {
        server: kubeEnv.server,
        kubeconfigPath: kubeEnv.kubeconfigPath,
        adminToken: kubeEnv.adminToken,
        caFile: kubeEnv.caFile,
      },
      registries: {
        anonymous: connectionOf(anonymous),
        "basic-tls": connectionOf(basicTls),
        token: connectionOf({ ...token, tokenIssuer: undefined }),
      },
      minio: connectionOf(minio),
      async stop(): Promise<void> {
        await stopAll();
        if (!process.env.AIRLIFT_KEEP_ENV) rmSync(workDir, { recursive: true, force: true });
      },
      stopNow(): void {
        killAll();
        if (!process.env.AIRLIFT_KEEP_ENV) rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
