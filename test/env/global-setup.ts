// node --test global setup: one shared environment for every integration test file. Its connection details go
// to the test processes through a JSON file named by AIRLIFT_TEST_ENV.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startEnvironment, type Environment } from "./environment.ts";

let env: Environment | undefined;

export async function globalSetup(): Promise<void> {
  const started = Date.now();
  env = await startEnvironment();
  const file = join(env.workDir, "env.json");
  const connection = { workDir: env.workDir, kube: env.kube, registries: env.registries, minio: env.minio };
  writeFileSync(file, JSON.stringify(connection, null, 2), { mode: 0o600 });
  process.env.AIRLIFT_TEST_ENV = file;
  process.stderr.write(`# test environment up in ${((Date.now() - started) / 1000).toFixed(1)}s (${env.workDir})\n`);
}

export async function globalTeardown(): Promise<void> {
  await env?.stop();
}
