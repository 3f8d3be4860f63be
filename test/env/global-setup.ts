// node --test global setup: one shared environment for every integration test file. Its connection details go
// to the test processes through a JSON file named by AIRLIFT_TEST_ENV. Operators and CLI runs of the suite log into
// AIRLIFT_TEST_LOGS (suite-logs.ts); the teardown scans all of it for every secret value the harness created.
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { startEnvironment, type Environment } from "./environment.ts";
import { scanLogs } from "./suite-logs.ts";
import { teardownOnce } from "./teardown.ts";
import { useTempRoot } from "./temp-root.ts";

let env: Environment | undefined;

export async function globalSetup(): Promise<void> {
  const started = Date.now();
  env = await startEnvironment();
  const file = join(env.workDir, "env.json");
  const connection = { workDir: env.workDir, kube: env.kube, registries: env.registries, minio: env.minio };
  writeFileSync(file, JSON.stringify(connection, null, 2), { mode: 0o600 });
  process.env.AIRLIFT_TEST_ENV = file;
  process.env.AIRLIFT_TEST_LOGS = join(env.workDir, "suite-logs");
  // Test processes start after this: their temp folders go inside the environment folder the teardown removes.
  useTempRoot(env.workDir);
  process.stderr.write(`# test environment up in ${((Date.now() - started) / 1000).toFixed(1)}s (${env.workDir})\n`);
}

/** The secret values the harness made: S3 keys, registry passwords, the API server's admin token. */
function harnessSecrets(e: Environment): Record<string, string> {
  const secrets: Record<string, string> = {
    "MinIO secret key": e.minio.secretAccessKey,
    "API server admin token": e.kube.adminToken,
  };
  for (const [variant, reg] of Object.entries(e.registries)) {
    if (reg.password) {
      secrets[`${variant} registry password`] = reg.password;
      secrets[`${variant} registry basic auth`] = Buffer.from(`${reg.username}:${reg.password}`).toString("base64");
    }
  }
  return secrets;
}

/** The secret scan of every log the suite wrote; a finding fails the run. */
function scanSuiteLogs(e: Environment): void {
  const { files, bytes, findings } = scanLogs(join(e.workDir, "suite-logs"), harnessSecrets(e));
  process.stderr.write(
    `# secret scan: ${files} log files, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${findings.length} findings\n`,
  );
  if (findings.length > 0) {
    process.stderr.write(`# SECRET VALUES IN LOGS:\n#   ${findings.join("\n#   ")}\n`);
    process.exitCode = 1;
  }
}

/** Scans the logs once, then kills every server and removes the environment folder (synchronously: see teardown.ts). */
export const globalTeardown = teardownOnce(() => env, scanSuiteLogs);
