// Test-support entry point. Integration tests call `testEnv()` for the shared environment started by the global
// setup (or, when a file runs alone, one started for that file and stopped after it).
import { readFileSync } from "node:fs";
import { after } from "node:test";
import { startEnvironment, type EnvironmentConnection } from "./environment.ts";

export { startEnvironment, type Environment, type EnvironmentConnection } from "./environment.ts";
export { startKube, loadKubeConfig, writeTokenKubeconfig, type KubeConnection, type KubeEnv } from "./kube.ts";
export { startRegistry, type RegistryConnection, type RegistryEnv, type RegistryVariant } from "./registry.ts";
export { startMinio, s3Client, type MinioConnection, type MinioEnv } from "./minio.ts";
export { run, type RunResult } from "./run.ts";
export { airliftArgs, toolPath, toolsPathEnv, repoRoot, cacheBin } from "./tools.ts";
export { freePort } from "./ports.ts";
export { serviceAccountKubeconfig } from "./service-account.ts";

let shared: Promise<EnvironmentConnection> | undefined;

export function testEnv(): Promise<EnvironmentConnection> {
  shared ??= (async () => {
    const file = process.env.AIRLIFT_TEST_ENV;
    if (file) return JSON.parse(readFileSync(file, "utf8")) as EnvironmentConnection;
    const env = await startEnvironment();
    after(() => env.stop());
    return env;
  })();
  return shared;
}
